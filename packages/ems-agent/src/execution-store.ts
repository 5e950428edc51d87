import { createHash } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
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
   * auto-delete queue an unacknowledged command disappears with the agent's connection, and the
   * unsynced record survives a crash of the agent process (the page cache keeps it), so only a
   * power cut of the VM can lose it — then a repeat the VNFM sends runs the command again.
   * @default true
   */
  durable?: boolean;
}

/** On-disk memory of executed commands, so a repeated command is answered instead of re-run. */
export interface ExecutionStore {
  readonly dir: string;
  /** The record for `key`, if any. */
  get(key: string): Promise<ExecutionRecord | undefined>;
  /** Records that a command is about to run (written before the script starts). */
  markStarted(record: Pick<ExecutionRecord, 'key' | 'bodyHash' | 'action'>): Promise<void>;
  /** Records the reply of a finished command (written after the reply is handed to the link, before the ack). */
  markFinished(record: Pick<ExecutionRecord, 'key' | 'bodyHash' | 'action'>, reply: RecordedReply): Promise<void>;
  /** Closes the journal. */
  close(): void;
}

/** SHA-256 hex of a message body. */
export function hashBody(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The journal id of a key: the key itself when it is a safe file name, else its SHA-256 (ids kept the
 * `.json` form of the per-key record files of earlier versions, so a journal written by one still matches).
 */
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
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.seq === 'number' &&
    typeof v.id === 'string' &&
    typeof v.bodyHash === 'string' &&
    typeof v.action === 'string' &&
    typeof v.startedAt === 'string'
  );
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

  constructor(
    path: string,
    private readonly durable: boolean,
  ) {
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

  get(id: string): (JournalEntry & { slot: number }) | undefined {
    return this.byId.get(id);
  }

  /** Writes a "started" entry into the next slot (where the command's finished record goes too). */
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

/** Finished records are padded to a multiple of this, so that rewriting a slot seldom changes its size. */
const RECORD_BLOCK = 4096;

/**
 * Writes a finished record over its slot file, padded with spaces (which JSON ignores) to a whole
 * block, and shortens the file only when it held a longer record: truncating on every write (ext4
 * frees and re-allocates the block) cost ~50 µs, creating a file per command more. No sync: see
 * {@link createExecutionStore} for why a torn record is harmless. Synchronous: a few microseconds,
 * where the thread pool costs ~50 µs of CPU per call.
 */
function writeRecordFile(path: string, text: string): void {
  const length = Buffer.byteLength(text, 'utf8');
  const padded = Buffer.alloc(Math.ceil(length / RECORD_BLOCK) * RECORD_BLOCK, 0x20);
  padded.write(text, 'utf8');
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    for (let offset = 0; offset < padded.length;) offset += writeSync(fd, padded, offset, padded.length - offset, offset);
    if (fstatSync(fd).size > padded.length) ftruncateSync(fd, padded.length);
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

/** The finished record of the command in journal slot `slot`. */
function slotFile(dir: string, slot: number): string {
  return join(dir, `slot-${slot}.json`);
}

/**
 * Creates the directory and the journal and returns an {@link ExecutionStore}.
 *
 * Two places, so that the writes on every command's path are cheap:
 * - "started" records go to the journal ({@link StartedJournal}), durable before the script starts;
 * - "finished" records (with the reply, any size) go to `<dir>/slot-<n>.json`, `n` being the command's
 *   journal slot, written right after the reply is handed to the link, before the ack. The files are
 *   reused like the slots, so the directory holds at most {@link JOURNAL_SLOTS} of them. A finished
 *   file that is missing or torn (crash while writing it) is ignored, and the journal's "started"
 *   record answers instead: the command is reported as interrupted, never run again.
 * A finished file counts only when it belongs to the journal's newest run of the key (same key,
 * `startedAt` and body hash), so the file of an earlier command in the same slot never answers.
 * Only the command in flight when the agent died can be redelivered (prefetch 1), so the last
 * {@link JOURNAL_SLOTS} commands are plenty. All of it is synchronous: commands run one at a time, and
 * one small synchronous write is cheaper than a thread-pool round trip.
 */
export async function createExecutionStore(options: ExecutionStoreOptions): Promise<ExecutionStore> {
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Records of earlier versions (one `<key>.json` per command) are not read any more.
  const legacy = (await readdir(dir)).filter((name) => name.endsWith('.json') && !/^slot-\d+\.json$/.test(name));
  await Promise.all(legacy.map((name) => rm(join(dir, name), { force: true })));
  const journal = new StartedJournal(options.journal ?? `${dir}.journal`, options.durable ?? true);

  return {
    dir,
    // Synchronous work behind an async signature: a failure still arrives as a rejection.
    async get(key) {
      const started = journal.get(recordFileName(key));
      if (started === undefined) return undefined;
      const file = readRecordFile(slotFile(dir, started.slot));
      if (
        file !== undefined &&
        file.key === key &&
        file.state === 'finished' &&
        file.startedAt === started.startedAt &&
        file.bodyHash === started.bodyHash
      ) {
        return file;
      }
      return { key, bodyHash: started.bodyHash, action: started.action, state: 'started', startedAt: started.startedAt };
    },
    async markStarted(base) {
      journal.add({ id: recordFileName(base.key), bodyHash: base.bodyHash, action: base.action, startedAt: new Date().toISOString() });
    },
    async markFinished(base, reply) {
      const id = recordFileName(base.key);
      let started = journal.get(id);
      if (started === undefined || started.bodyHash !== base.bodyHash) {
        // Finished without a start of its own (never the case in the agent, which marks every command started).
        journal.add({ id, bodyHash: base.bodyHash, action: base.action, startedAt: new Date().toISOString() });
        started = journal.get(id);
      }
      if (started === undefined) throw new Error(`execution journal lost the entry of ${base.key}`);
      const record: ExecutionRecord = {
        ...base,
        state: 'finished',
        startedAt: started.startedAt,
        finishedAt: new Date().toISOString(),
        reply,
      };
      writeRecordFile(slotFile(dir, started.slot), `${JSON.stringify(record)}\n`);
    },
    close() {
      journal.close();
    },
  };
}
