export { ScriptLogs } from './script-logs.js';
export type { ScriptLogEntry, ScriptLogLines, ScriptLogsOptions } from './script-logs.js';
export { markTopDirectory } from './top-directory.js';
export type { TopDirectoryResult } from './top-directory.js';
