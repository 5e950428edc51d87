import { ScriptFailure, type ResumeStore } from './resume-store.js';

/** A {@link ResumeStore} in process memory (tests, or a VNFM that need not survive restarts). */
export class MemoryResumeStore implements ResumeStore {
  readonly #failures = new Map<string, ScriptFailure>();

  /** Remembers a failure (validated, copied). */
  async record(failure: ScriptFailure): Promise<void> {
    const parsed = ScriptFailure.parse(failure);
    this.#failures.set(parsed.vnfrId, parsed);
  }

  /** The remembered failure of a VNFR, as a copy. */
  async get(vnfrId: string): Promise<ScriptFailure | undefined> {
    const failure = this.#failures.get(vnfrId);
    return failure ? structuredClone(failure) : undefined;
  }

  /** Forgets a VNFR's failure. */
  async clear(vnfrId: string): Promise<void> {
    this.#failures.delete(vnfrId);
  }
}
