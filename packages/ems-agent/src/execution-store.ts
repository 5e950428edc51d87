import { createHash } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, fstatSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

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
  /** The journal of "started" records. @default `<dir>.journal` */
  journal?: string;
  /**
   * `fdatasync` the "started" record before the command runs. Needed whenever the broker can
   * redeliver a command to a restarted agent (actions queue with `autodelete = false`); with an
   * auto-delete queue an unacknowledged command disappears with the agent's connection, so there is
   * no redelivery to protect against and the record is written without a sync. @default true
   */
  durable?: boolean;
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
  /** Records the reply of a finished command (written while the reply is published, before the ack). */
  markFinished(record: Pick<ExecutionRecord, 'key' | 'bodyHash' | 'action'>, reply: RecordedReply): Promise<void>;
  /** Deletes all but the newest `keep` records. */
  prune(): Promise<void>;
  /** Closes the journal. */
  close(): void;
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

/**
 * Slots in the journal of "started" records, a ring. Commands run one at a time and only the one in
 * flight when the agent died can be redelivered, so a short ring is plenty; it stays small because
 * test kits and agent farms run hundreds of agents, each with its own journal (32 KiB).
 */
const JOURNAL_SLOTS = 64;
/** Bytes per journal slot: one JSON line padded with spaces. */
const SLOT_BYTES = 512;

/** A "started" entry of the journal. */
interface JournalEntry {
  /** Sequence number: the newest entry of an id wins, the oldest slot is reused first. */
  seq: number;
  /** `recordFileName(key)`: bounded length, one per key. */
  id: string;
  bodyHash: string;
  action: string;
  startedAt: string;
}

function isJournalEntry(value: unknown): value is JournalEntry {
  const v = value as Partial<JournalEntry> | null;
  return typeof v === 'object' && v !== null && typeof v.seq === 'number' && typeof v.id === 'string' && typeof v.bodyHash === 'string' && typeof v.action === 'string' && typeof v.startedAt === 'string';
}

/**
 * The "started" records: a preallocated file of fixed-size slots, opened once. Marking a command
 * started is one `pwrite` into already allocated blocks (no file creation, rename or size change,
 * so no file-system metadata to commit) plus, when durable, one `fdatasync` — a pure data flush.
 * A slot torn by a power cut can only be the one being written, i.e. of a command whose script had
 * not started yet; it is ignored when the journal is read back.
 */
class StartedJournal {
  private readonly fd: number;
  private readonly byId = new Map<string, JournalEntry & { slot: number }>();
  private readonly bySlot = new Map<number, string>();
  private seq = 0;

  constructor(path: string, private readonly durable: boolean) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const size = JOURNAL_SLOTS * SLOT_BYTES;
    const length = fstatSync(this.fd).size;
    if (length < size) {
      // Allocate every block once, so later writes never change the file's size or allocation (the
      // first fdatasync also makes the allocation durable; no sync here, it would delay the hello).
      const padding = Buffer.alloc(size - length, 0x20);
      writeSync(this.fd, padding, 0, padding.length, length);
    }
    // Read back in small chunks (the agent's idle memory is a measured figure); blank slots are skipped unparsed.
    const chunk = Buffer.alloc(SLOT_BYTES * 32);
    for (let first = 0; first < JOURNAL_SLOTS; first += 32) {
      const read = readSync(this.fd, chunk, 0, chunk.length, first * SLOT_BYTES);
      for (let i = 0; i < 32 && (i + 1) * SLOT_BYTES <= read; i += 1) {
        if (chunk[i * SLOT_BYTES] !== 0x7b) continue; // not "{": never written
        this.load(first + i, chunk.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES).toString('utf8'));
      }
    }
  }

  private load(slot: number, text: string): void {
    let entry: unknown;
    try {
      entry = JSON.parse(text) as unknown;
    } catch {
      return; // torn by a crash while it was written: that command never started
    }
    if (!isJournalEntry(entry)) return;
    this.seq = Math.max(this.seq, entry.seq + 1);
    const known = this.byId.get(entry.id);
    if (known !== undefined && known.seq > entry.seq) return;
    this.byId.set(entry.id, { ...entry, slot });
    this.bySlot.set(slot, entry.id);
  }

  get(id: string): JournalEntry | undefined {
    return this.byId.get(id);
  }

  add(input: Omit<JournalEntry, 'seq'>): void {
    const entry: JournalEntry = { seq: this.seq, ...input };
    const slot = this.seq % JOURNAL_SLOTS;
    this.seq += 1;
    const line = Buffer.alloc(SLOT_BYTES, 0x20);
    const used = line.write(JSON.stringify(entry), 'utf8');
    if (used >= SLOT_BYTES - 1) throw new Error(`execution journal entry for ${input.id} is longer than ${SLOT_BYTES - 1} bytes`);
    line[SLOT_BYTES - 1] = 0x0a;
    writeSync(this.fd, line, 0, SLOT_BYTES, slot * SLOT_BYTES);
    if (this.durable) fdatasyncSync(this.fd);
    const previous = this.bySlot.get(slot);
    if (previous !== undefined && this.byId.get(previous)?.slot === slot) this.byId.delete(previous);
    this.byId.set(entry.id, { ...entry, slot });
    this.bySlot.set(slot, entry.id);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Writes a finished record in place (create or truncate, no sync): see {@link createExecutionStore}
 * for why a torn one is harmless. Synchronous: a few microseconds, where the thread pool costs ~50 µs
 * of CPU per call.
 */
function writeRecordFile(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function readRecordFile(path: string): ExecutionRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord;
  } catch {
    return undefined; // missing or torn
  }
}

/**
 * Creates the directory and the journal and returns an {@link ExecutionStore}.
 *
 * Two places, so that the write on every command's path is cheap:
 * - "started" records go to the journal ({@link StartedJournal}), durable before the script starts;
 * - "finished" records (with the reply, any size) go to `<dir>/<key>.json`, written right after
 *   the reply is handed to the link, before the ack. A finished file that is missing or torn (crash while
 *   writing it) is ignored, and the journal's "started" record answers instead: the command is
 *   reported as interrupted, never run again.
 * A finished file counts only when it belongs to the journal's newest run of the key (same
 * `startedAt`), so a stale file of an earlier command with a reused id never hides a newer start.
 * All of it is synchronous: commands run one at a time, and one small synchronous write is
 * cheaper than a thread-pool round trip.
 */
export async function createExecutionStore(options: ExecutionStoreOptions): Promise<ExecutionStore> {
  const keep = options.keep ?? 1000;
  const pruneEvery = options.pruneEvery ?? 100;
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const journal = new StartedJournal(options.journal ?? `${dir}.journal`, options.durable ?? true);
  let writes = 0;

  const store: ExecutionStore = {
    dir,
    get(key) {
      const id = recordFileName(key);
      const file = readRecordFile(join(dir, id));
      const started = journal.get(id);
      if (started !== undefined && (file === undefined || file.startedAt !== started.startedAt || file.bodyHash !== started.bodyHash)) {
        return Promise.resolve({ key, bodyHash: started.bodyHash, action: started.action, state: 'started', startedAt: started.startedAt });
      }
      return Promise.resolve(file?.key === key ? file : undefined);
    },
    markStarted(base) {
      try {
        journal.add({ id: recordFileName(base.key), bodyHash: base.bodyHash, action: base.action, startedAt: new Date().toISOString() });
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    async markFinished(base, reply) {
      const id = recordFileName(base.key);
      const started = journal.get(id);
      const startedAt = started !== undefined && started.bodyHash === base.bodyHash ? started.startedAt : new Date().toISOString();
      const record: ExecutionRecord = { ...base, state: 'finished', startedAt, finishedAt: new Date().toISOString(), reply };
      writeRecordFile(join(dir, id), `${JSON.stringify(record)}\n`);
      writes += 1;
      if (writes % pruneEvery === 0) await store.prune();
    },
    close() {
      journal.close();
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
