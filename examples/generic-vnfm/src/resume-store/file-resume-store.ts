import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResumeStoreError } from '../errors.js';
import { ScriptFailure, type ResumeStore } from './resume-store.js';

/** Options of {@link FileResumeStore}. */
export interface FileResumeStoreOptions {
  /** Directory holding one JSON file per VNFR; created on first write. */
  directory: string;
}

/** A VNFR id as a file name that cannot leave the directory (`/` and `.` are escaped). */
function fileNameOf(vnfrId: string): string {
  return `${encodeURIComponent(vnfrId).replace(/\./g, '%2E')}.json`;
}

/**
 * A {@link ResumeStore} that keeps one JSON file per VNFR under a directory, so a failure
 * recorded before a VNFM restart can still be resumed after it. Writes are atomic (temporary
 * file + rename): a crash mid-write leaves the old record or the new one, never half a file.
 */
export class FileResumeStore implements ResumeStore {
  readonly directory: string;

  constructor(options: FileResumeStoreOptions) {
    this.directory = options.directory;
  }

  /** Remembers a failure, replacing the VNFR's earlier one atomically. */
  async record(failure: ScriptFailure): Promise<void> {
    const parsed = ScriptFailure.parse(failure);
    const target = join(this.directory, fileNameOf(parsed.vnfrId));
    const temporary = `${target}.${randomUUID()}.tmp`;
    try {
      await mkdir(this.directory, { recursive: true });
      await writeFile(temporary, `${JSON.stringify(parsed, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new ResumeStoreError(`cannot record the failure of VNFR ${parsed.vnfrId} in ${this.directory}`, {
        vnfrId: parsed.vnfrId,
        cause: error,
      });
    }
  }

  /** The remembered failure of a VNFR; a missing file means none, an unreadable one is an error. */
  async get(vnfrId: string): Promise<ScriptFailure | undefined> {
    const path = join(this.directory, fileNameOf(vnfrId));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ResumeStoreError(`cannot read the resume record of VNFR ${vnfrId}`, { vnfrId, cause: error });
    }
    try {
      return ScriptFailure.parse(JSON.parse(text));
    } catch (error) {
      throw new ResumeStoreError(`the resume record of VNFR ${vnfrId} (${path}) is corrupt`, { vnfrId, cause: error });
    }
  }

  /** Deletes a VNFR's record; a missing one is fine. */
  async clear(vnfrId: string): Promise<void> {
    await rm(join(this.directory, fileNameOf(vnfrId)), { force: true });
  }
}
