// Why: several replicas of the Generic VNFM share their resume points (what RESUME continues from after a failed
// lifecycle script) through the RabbitMQ broker they already use, not a local directory: a RESUME may reach any
// replica, and it must see the failure another replica recorded (docs/reliability.md, "VNFM replicas"). The
// resume points live as a replicated log on a stream queue (StreamLog); every replica reads it from the start and
// keeps a map VNFR id → failure, later records winning.
// Cost: `get` is one broker round trip (the StreamLog.sync barrier, for read-your-writes across replicas);
// `record`/`clear` wait for the broker's confirm; opening reads the whole stream once (one small record per
// failure or clear, bounded by the stream's size limit).
import { toError } from '@vnfkit/protocol';
import { StreamLog, type Transport } from '@vnfkit/transport';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { ResumeStoreError } from '../errors.js';
import { ScriptFailure, type ResumeStore } from './resume-store.js';

/** A record on the resume stream: a failure remembered, or a VNFR's failure forgotten. */
const ResumeRecord = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('record'), failure: ScriptFailure }),
  z.strictObject({ op: z.literal('clear'), vnfrId: z.string().min(1), at: z.string() }),
]);
type ResumeRecord = z.infer<typeof ResumeRecord>;

/** Options of {@link StreamResumeStore.open}. */
export interface StreamResumeStoreOptions {
  /** The broker connection the stream is read and appended through. */
  transport: Transport;
  /** Name of the stream queue shared by the replicas (created on first open). */
  stream: string;
  /** Where unreadable records are reported. @default silent */
  logger?: Logger;
}

/** An append of this process not yet confirmed: whether the stream already delivered it back. */
interface PendingAppend {
  readonly key: string;
  seen: boolean;
}

/**
 * A {@link ResumeStore} on a RabbitMQ stream queue, shared by every VNFM replica that opens the same stream:
 * a failure recorded by one replica is returned by any other replica's next {@link get}.
 */
export class StreamResumeStore implements ResumeStore {
  readonly #failures = new Map<string, ScriptFailure>();
  readonly #pending = new Set<PendingAppend>();
  readonly #log: Logger;
  #stream: StreamLog<ResumeRecord> | undefined;
  #closed = false;

  private constructor(
    readonly stream: string,
    logger: Logger,
  ) {
    this.#log = logger;
  }

  /** Opens the shared stream (declaring it if needed), reads it to the end and keeps following it. */
  static async open(options: StreamResumeStoreOptions): Promise<StreamResumeStore> {
    const store = new StreamResumeStore(
      options.stream,
      (options.logger ?? pino({ enabled: false })).child({ component: 'stream-resume-store', stream: options.stream }),
    );
    store.#stream = await StreamLog.open<ResumeRecord>(options.transport, options.stream, {
      parse: (value) => ResumeRecord.parse(value),
      onRecord: (record) => store.#onRecord(record),
      onError: (error) => store.#log.warn({ err: error }, 'skipped an unreadable record on the resume stream'),
    });
    return store;
  }

  /** Remembers a failure (validated) for every replica; resolves once the broker confirmed it. */
  async record(failure: ScriptFailure): Promise<void> {
    const parsed = ScriptFailure.parse(failure);
    await this.#append({ op: 'record', failure: parsed }, parsed.vnfrId, 'record the failure of');
  }

  /** The failure remembered for a VNFR, including one recorded by another replica just before (one broker round trip). */
  async get(vnfrId: string): Promise<ScriptFailure | undefined> {
    const stream = this.#open(vnfrId);
    try {
      await stream.sync();
    } catch (error) {
      throw new ResumeStoreError(`cannot read the resume record of VNFR ${vnfrId} from stream ${this.stream}: ${toError(error).message}`, {
        vnfrId,
        cause: error,
      });
    }
    const failure = this.#failures.get(vnfrId);
    return failure ? structuredClone(failure) : undefined;
  }

  /** Forgets a VNFR's failure for every replica; a missing one is fine. Resolves once the broker confirmed it. */
  async clear(vnfrId: string): Promise<void> {
    await this.#append({ op: 'clear', vnfrId, at: new Date().toISOString() }, vnfrId, 'clear the failure of');
  }

  /** Stops following the stream (the stream and its records stay for the other replicas). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stream?.close();
  }

  #open(vnfrId: string): StreamLog<ResumeRecord> {
    if (this.#closed || !this.#stream) throw new ResumeStoreError(`the resume store on stream ${this.stream} is closed`, { vnfrId });
    return this.#stream;
  }

  /**
   * Appends a record and applies it here once confirmed — unless the stream already delivered it back: then it was
   * applied in stream order, maybe followed by later records another replica appended, which must not be undone.
   */
  async #append(record: ResumeRecord, vnfrId: string, what: string): Promise<void> {
    const stream = this.#open(vnfrId);
    // Keyed as the stream delivers it back (parsed: the schema's key order), to recognise it.
    const pending: PendingAppend = { key: JSON.stringify(ResumeRecord.parse(record)), seen: false };
    this.#pending.add(pending);
    try {
      await stream.append(record);
      if (!pending.seen) this.#apply(record);
    } catch (error) {
      throw new ResumeStoreError(`cannot ${what} VNFR ${vnfrId} on stream ${this.stream}: ${toError(error).message}`, {
        vnfrId,
        cause: error,
      });
    } finally {
      this.#pending.delete(pending);
    }
  }

  /** A record read from the stream, in order (also again after a reconnect: applying is idempotent). */
  #onRecord(record: ResumeRecord): void {
    if (this.#pending.size > 0) {
      const key = JSON.stringify(record);
      for (const pending of this.#pending) {
        if (!pending.seen && pending.key === key) {
          pending.seen = true;
          break;
        }
      }
    }
    this.#apply(record);
  }

  #apply(record: ResumeRecord): void {
    if (record.op === 'record') this.#failures.set(record.failure.vnfrId, record.failure);
    else this.#failures.delete(record.vnfrId);
  }
}
