import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, toError, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { StreamLog, type Transport } from '@vnfkit/transport';
import type { Logger } from 'pino';

/**
 * How far an NFVO command got. `received` → (`granting` (GRANT_OPERATION sent: the NFVO may have saved the
 * VNFR) → `granted` → `allocated`, INSTANTIATE only) → `replying` (the reply is computed and stored) →
 * `answered` (the broker confirmed the reply).
 */
export type JournalStep = 'received' | 'granting' | 'granted' | 'allocated' | 'replying' | 'answered';

/** What the journal remembers of one NFVO command, under the key `AbstractVnfm` derives for it (its correlation id, or its reply address and body digest). */
export interface JournalRecord {
  key: string;
  action: string;
  step: JournalStep;
  vnfrId?: string | undefined;
  vnfrName?: string | undefined;
  /** Where the answer goes, so that a restarted VNFM can answer a command it lost with the crash. */
  replyTo?: string | undefined;
  /** The command's correlation id, copied into that answer; none when the command had none (Open Baton's NFVO). */
  correlationId?: string | undefined;
  /** The VNFR as far as the command got (granted / allocated), for an ERROR reply after a crash; dropped once answered. */
  vnfr?: VirtualNetworkFunctionRecord | undefined;
  /** The encoded reply (step `replying`), re-sent as is when the command is redelivered; dropped once answered. */
  reply?: string | undefined;
  /** The replica that wrote the latest step (a shared journal: see {@link OperationJournalOptions.stream}). */
  owner?: string | undefined;
  at: string;
}

/** Options of {@link OperationJournal.open}. */
export interface OperationJournalOptions {
  /** JSON-lines file; without one (and without `stream`) the journal lives in memory (redeliveries within one process only). */
  file?: string | undefined;
  /**
   * A RabbitMQ stream queue the journal lives on instead, shared by every replica of the VNFM: each one reads it
   * whole and follows it, and records which replica (`owner`) wrote each step. Replaces `file`.
   */
  stream?: { transport: Transport; name: string } | undefined;
  /** This process's replica id, written as `owner` of its steps. @default a random id */
  owner?: string;
  /** Answered commands remembered (to recognise late redeliveries). @default 10000 */
  retainAnswered?: number;
  logger?: Logger;
}

type Patch = Partial<Omit<JournalRecord, 'key' | 'at' | 'owner'>>;

/** One step as written (a full record for `received`/`answered`, else a patch). */
type JournalEntry = Partial<JournalRecord> & { key: string; step: JournalStep; owner?: string };

const STEPS: ReadonlySet<string> = new Set(['received', 'granting', 'granted', 'allocated', 'replying', 'answered']);

/** A step read from a shared journal; anything else throws (and is skipped). */
function parseEntry(value: unknown): JournalEntry {
  const entry = value as Partial<JournalEntry> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.key !== 'string' ||
    typeof entry.step !== 'string' ||
    !STEPS.has(entry.step)
  ) {
    throw new Error('not an operation journal step');
  }
  return entry as JournalEntry;
}

/**
 * A small durable log of the NFVO commands a VNFM handles, so that a VNFM killed mid-operation answers
 * every command after its restart instead of leaving the NFVO waiting, and never runs one twice
 * (no second GRANT_OPERATION for a VNFR already granted). One record per line, each line fsync'ed
 * before the step it records is acted on; the file is compacted when opened.
 */
export class OperationJournal {
  private readonly records = new Map<string, JournalRecord>();
  private readonly interruptedAtOpen: JournalRecord[] = [];
  private writes: Promise<void> = Promise.resolve();
  private readonly pending: { line: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing = false;

  private log: StreamLog<JournalEntry> | undefined;

  private readonly handle: FileHandle | undefined;
  private readonly retainAnswered: number;
  /** This replica's id, written as the `owner` of its steps. */
  readonly owner: string;
  private readonly lockFile: string | undefined;

  private constructor(input: { handle?: FileHandle | undefined; retainAnswered: number; owner: string; lockFile?: string | undefined }) {
    this.handle = input.handle;
    this.retainAnswered = input.retainAnswered;
    this.owner = input.owner;
    this.lockFile = input.lockFile;
  }

  /** Loads (and compacts) the journal file, reads the shared journal's stream, or starts an in-memory journal. */
  static async open(options: OperationJournalOptions = {}): Promise<OperationJournal> {
    const retain = options.retainAnswered ?? 10_000;
    const owner = options.owner ?? randomUUID();
    if (options.stream !== undefined) {
      const journal = new OperationJournal({ retainAnswered: retain, owner });
      journal.log = await StreamLog.open<JournalEntry>(options.stream.transport, options.stream.name, {
        parse: parseEntry,
        // Own steps are applied when written; an echo arriving later must not roll a newer step back.
        onRecord: (entry) => {
          if (entry.owner !== owner) journal.merge(entry);
        },
        onError: (error) =>
          options.logger?.warn({ stream: options.stream?.name, err: error.message }, 'skipping an unreadable operation journal record'),
      });
      return journal;
    }
    if (options.file === undefined) return new OperationJournal({ retainAnswered: retain, owner });
    await mkdir(dirname(options.file), { recursive: true, mode: 0o700 });
    const lockFile = await lock(options.file);
    const loaded = await load(options.file, options.logger);
    const kept = compact(loaded, retain);
    const tmp = `${options.file}.compact`;
    const out = await open(tmp, 'w', 0o600);
    await out.writeFile(kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await out.sync();
    await out.close();
    await rename(tmp, options.file);
    const journal = new OperationJournal({ handle: await open(options.file, 'a', 0o600), retainAnswered: retain, owner, lockFile });
    for (const record of kept) {
      journal.records.set(record.key, record);
      if (record.step !== 'answered') journal.interruptedAtOpen.push(record);
    }
    return journal;
  }

  /**
   * Commands a previous process received but did not answer (found when the journal was opened). Empty for a
   * shared journal: another replica may still be running them; they are taken over on their redelivery.
   */
  interrupted(): readonly JournalRecord[] {
    return this.interruptedAtOpen;
  }

  /** True when the journal is shared by replicas (on a stream). */
  get shared(): boolean {
    return this.log !== undefined;
  }

  /** A shared journal: resolves once every step written (by any replica) before the call is known here. */
  async sync(): Promise<void> {
    await this.log?.sync();
  }

  /** Applies a step read from the shared journal: later steps patch earlier ones (as the file replay does). */
  private merge(entry: JournalEntry): void {
    if (applyEntry(this.records, entry).step === 'answered') this.forgetOldAnswers();
  }

  /** The record of a command, if the journal knows it. */
  get(key: string): JournalRecord | undefined {
    return this.records.get(key);
  }

  /** Records a step (merging into the command's record) and resolves once it is on disk. */
  async step(key: string, step: JournalStep, patch: Patch = {}): Promise<void> {
    const previous = this.records.get(key);
    const record: JournalRecord = {
      ...previous,
      ...patch,
      key,
      action: patch.action ?? previous?.action ?? '',
      step,
      owner: this.owner,
      at: new Date().toISOString(),
    };
    if (step === 'answered') {
      // Only the key matters once answered (a late redelivery is acked): no VNFR or reply is kept in
      // memory for the retained answers, nor serialised again.
      delete record.reply;
      delete record.vnfr;
    }
    this.records.set(key, record);
    if (step === 'answered') this.forgetOldAnswers();
    const entry = step === 'received' || step === 'answered' ? record : { key, step, owner: this.owner, at: record.at, ...patch };
    if (this.log) await this.log.append(entry);
    else await this.write(`${JSON.stringify(entry)}\n`);
  }

  /** Waits for pending writes and closes the file (stops following a shared journal). */
  async close(): Promise<void> {
    await this.writes;
    await this.log?.close();
    await this.handle?.close();
    if (this.lockFile) {
      openHere.delete(this.lockFile);
      await unlink(this.lockFile).catch(() => undefined);
    }
  }

  /** Group commit: lines queued while a flush runs go to disk together with one fdatasync. */
  private write(line: string): Promise<void> {
    if (!this.handle) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      if (!this.flushing) this.writes = this.flush();
    });
  }

  private async flush(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          // The append is synchronous (a thread-pool round trip costs more CPU than the write); the data sync,
          // which waits for the disk, is not.
          const bytes = Buffer.from(batch.map((p) => p.line).join(''), 'utf8');
          for (let offset = 0; offset < bytes.length;) offset += writeSync(handle.fd, bytes, offset, bytes.length - offset);
          await handle.datasync();
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(toError(error));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private forgetOldAnswers(): void {
    if (this.records.size <= this.retainAnswered * 2) return;
    let excess = this.records.size - this.retainAnswered;
    for (const [key, record] of this.records) {
      if (excess <= 0) break;
      if (record.step === 'answered') {
        this.records.delete(key);
        excess -= 1;
      }
    }
  }
}

const openHere = new Set<string>();

/**
 * One live VNFM per journal: a second one would take the first one's running commands for interrupted ones.
 * `<file>.lock` holds the owner's pid; a lock left by a dead process is taken over.
 */
async function lock(file: string): Promise<string> {
  const lockFile = `${file}.lock`;
  const inUse = (pid: number): never => {
    throw new ConfigError(`operation journal ${file} is in use by VNFM process ${pid}; give every VNFM process its own journal file`);
  };
  if (openHere.has(lockFile)) inUse(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      openHere.add(lockFile);
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(await readFile(lockFile, 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) inUse(pid);
      await unlink(lockFile).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new ConfigError(`could not lock operation journal ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Replays one journal entry (a file line or a stream record) onto the records: later steps patch earlier ones; an
 * answered command keeps only its key and step (no reply or VNFR held for it). Insertion order = order of last activity.
 */
function applyEntry(records: Map<string, JournalRecord>, entry: JournalEntry): JournalRecord {
  const merged = { ...records.get(entry.key), ...entry } as JournalRecord;
  if (merged.step === 'answered') {
    delete merged.reply;
    delete merged.vnfr;
  }
  records.delete(entry.key);
  records.set(entry.key, merged);
  return merged;
}

/** Replays the file: later lines patch earlier ones; a torn last line (crash mid-write) is skipped. */
async function load(file: string, logger: Logger | undefined): Promise<Map<string, JournalRecord>> {
  const records = new Map<string, JournalRecord>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return records;
    throw error;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  lines.forEach((line, i) => {
    try {
      applyEntry(records, parseEntry(JSON.parse(line)));
    } catch (error) {
      logger?.warn({ file, line: i + 1, err: toError(error).message }, 'skipping an unreadable operation journal line');
    }
  });
  return records;
}

function compact(records: Map<string, JournalRecord>, retainAnswered: number): JournalRecord[] {
  const all = [...records.values()];
  const answered = all.filter((r) => r.step === 'answered');
  const keepAnswered = new Set(answered.slice(Math.max(0, answered.length - retainAnswered)));
  return all.filter((r) => r.step !== 'answered' || keepAnswered.has(r));
}
