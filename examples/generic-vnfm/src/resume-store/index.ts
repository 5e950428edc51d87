export { FileResumeStore } from './file-resume-store.js';
export type { FileResumeStoreOptions } from './file-resume-store.js';
export { MemoryResumeStore } from './memory-resume-store.js';
export { ResumableEvent, resumedActionOf, ScriptFailure } from './resume-store.js';
export type { ResumeStore } from './resume-store.js';
export { StreamResumeStore } from './stream-resume-store.js';
export type { StreamResumeStoreOptions } from './stream-resume-store.js';
