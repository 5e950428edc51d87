import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_PREFIX } from './scripts/script-store.js';

/** The reply the agent sent (or will send) for one command. */
export interface RecordedReply {
  output: string;
  err: string;
  status: number;
}

/** What the agent remembers about one command, keyed by correlation id (or message id). */
export interface ExecutionRecord {
  key: string;
  /** SHA-256 of the raw body: a reused id with another body is not treated as a redelivery. */
  bodyHash: string;
  action: string;
  state: 'started' | 'finished';
  startedAt: string;
  finishedAt?: string;
  reply?: RecordedReply;
}

/** Options of {@link createExecutionStore}. */
export interface ExecutionStoreOptions {
  /** Directory of the records, e.g. `<state_dir>/executions`. */
  dir: string;
  /** Records kept; older ones are pruned. @default 1000 */
  keep?: number;
  /** Writes between two prunes. @default 100 */
  pruneEvery?: number;
}

/** On-disk memory of executed commands, so a redelivered command is answered instead of re-run. */
export interface ExecutionStore {
  readonly dir: string;
  /** The record for `key`, if any. */
  get(key: string): Promise<ExecutionRecord | undefined>;
  /** Records that a command is about to run (written before the script starts). */
  markStarted(record: Pick<ExecutionRecord, 'key' | 'bodyHash' | 'action'>): Promise<void>;
  /** Records the reply of a finished command (written before the reply is published and acked). */
  markFinished(record: Pick<ExecutionRecord, 'key' | 'bodyHash' | 'action'>, reply: RecordedReply): Promise<void>;
  /** Deletes all but the newest `keep` records. */
  prune(): Promise<void>;
}

/** SHA-256 hex of a message body. */
export function hashBody(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The record file name for a key: the key itself when it is a safe file name, else its SHA-256. */
export function recordFileName(key: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(key)) return `${key}.json`;
  return `sha256-${createHash('sha256').update(key).digest('hex')}.json`;
}

/** Writes all of `text` to an open file descriptor. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * The "started" record: written in place (create or truncate) and made durable with one
 * `fdatasync` before the script starts. A crash while writing leaves a torn file, which `get`
 * treats as unknown — correct, since the script had not started yet. One open/write/sync/close
 * instead of temp file + fsync + rename.
 */
function writeDurable(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeAll(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The "finished" record: a temporary file renamed over the "started" one, so a crash leaves either
 * record, never a torn one (a torn finished record would let a redelivery run the script again).
 * Not synced: losing it in a power cut only turns a replayed reply into "interrupted" — the script
 * still never runs twice, because the durable "started" record is still there.
 */
function writeReplacing(dir: string, path: string, text: string): void {
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeAll(fd, text);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Creates the directory and returns an {@link ExecutionStore}. The record writes are synchronous:
 * commands run one at a time, and a few small synchronous writes are cheaper than thread-pool
 * round trips on the latency of every command.
 */
export async function createExecutionStore(options: ExecutionStoreOptions): Promise<ExecutionStore> {
  const keep = options.keep ?? 1000;
  const pruneEvery = options.pruneEvery ?? 100;
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let writes = 0;
  const startedAt = new Map<string, string>();

  const written = async (): Promise<void> => {
    writes += 1;
    if (writes % pruneEvery === 0) await store.prune();
  };

  const store: ExecutionStore = {
    dir,
    get(key) {
      try {
        const record = JSON.parse(readFileSync(join(dir, recordFileName(key)), 'utf8')) as ExecutionRecord;
        return Promise.resolve(record.key === key ? record : undefined);
      } catch {
        return Promise.resolve(undefined); // missing or torn (a "started" record cut by a crash) → treat as unknown
      }
    },
    async markStarted(base) {
      const now = new Date().toISOString();
      startedAt.set(base.key, now);
      writeDurable(join(dir, recordFileName(base.key)), `${JSON.stringify({ ...base, state: 'started', startedAt: now } satisfies ExecutionRecord)}\n`);
      await written();
    },
    async markFinished(base, reply) {
      const started = startedAt.get(base.key) ?? new Date().toISOString();
      startedAt.delete(base.key);
      const record: ExecutionRecord = { ...base, state: 'finished', startedAt: started, finishedAt: new Date().toISOString(), reply };
      writeReplacing(dir, join(dir, recordFileName(base.key)), `${JSON.stringify(record)}\n`);
      await written();
    },
    async prune() {
      const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
      if (names.length <= keep) return;
      const dated = await Promise.all(
        names.map(async (name) => {
          try {
            return { name, mtime: (await stat(join(dir, name))).mtimeMs };
          } catch {
            return { name, mtime: 0 };
          }
        }),
      );
      dated.sort((a, b) => b.mtime - a.mtime);
      await Promise.all(dated.slice(keep).map(({ name }) => rm(join(dir, name), { force: true })));
    },
  };
  await store.prune();
  return store;
}
