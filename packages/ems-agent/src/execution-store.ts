import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './scripts/script-store.js';

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

/** Creates the directory and returns an {@link ExecutionStore}. */
export async function createExecutionStore(options: ExecutionStoreOptions): Promise<ExecutionStore> {
  const keep = options.keep ?? 1000;
  const pruneEvery = options.pruneEvery ?? 100;
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let writes = 0;
  const startedAt = new Map<string, string>();

  const write = async (record: ExecutionRecord): Promise<void> => {
    await writeFileAtomic(join(dir, recordFileName(record.key)), `${JSON.stringify(record)}\n`, 0o600);
    writes += 1;
    if (writes % pruneEvery === 0) await store.prune();
  };

  const store: ExecutionStore = {
    dir,
    async get(key) {
      try {
        const text = await readFile(join(dir, recordFileName(key)), 'utf8');
        const record = JSON.parse(text) as ExecutionRecord;
        return record.key === key ? record : undefined;
      } catch {
        return undefined; // missing or torn (never: writes are atomic) → treat as unknown
      }
    },
    async markStarted(base) {
      const now = new Date().toISOString();
      startedAt.set(base.key, now);
      await write({ ...base, state: 'started', startedAt: now });
    },
    async markFinished(base, reply) {
      const started = startedAt.get(base.key) ?? new Date().toISOString();
      startedAt.delete(base.key);
      await write({ ...base, state: 'finished', startedAt: started, finishedAt: new Date().toISOString(), reply });
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
