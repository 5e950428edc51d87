export { ScriptLogs } from './script-logs.js';
export type { ScriptLogEntry, ScriptLogLines, ScriptLogsOptions } from './script-logs.js';
