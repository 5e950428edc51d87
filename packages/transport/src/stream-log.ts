import { randomUUID } from 'node:crypto';
import { TimeoutError, TransportError, toError } from '@vnfkit/protocol';
import type { Consumer, IncomingMessage, Transport } from './transport.js';

/** Options of {@link StreamLog.open}. */
export interface StreamLogOptions<T> {
  /** Called for every record in the stream, in order, from the first one on; also for this process's own appends. */
  onRecord: (record: T) => void;
  /** Checks a record read from the stream (a foreign or corrupt message is skipped, `onError` told). */
  parse: (value: unknown) => T;
  /** A record that could not be read. @default ignored */
  onError?: (error: Error) => void;
  /**
   * Bound of the stream's size on disk (`x-max-length-bytes`, fixed when the stream is first declared); the oldest
   * segments are dropped beyond it, so a reader must not need records older than that. @default 1 GiB
   */
  maxLengthBytes?: number;
  /** Deadline of {@link StreamLog.sync}, in milliseconds. @default 30_000 */
  syncTimeoutMs?: number;
}

/** Header that marks a sync barrier (not a record). */
const BARRIER_HEADER = 'x-vnfkit-barrier';

/**
 * A replicated log of JSON records on a RabbitMQ stream queue, shared by every process that opens it: each one
 * reads the whole stream from its first record and follows it, so all of them see every record in the same order.
 * What several VNFM replicas keep (the operation journal, resume points) lives here — on the broker cluster the
 * deployment already runs, no other server. {@link sync} is a barrier: once it resolves, every record appended
 * anywhere before it was called has been seen. After a reconnect reading goes on after the last message read; a
 * message may still be read twice around a reconnect, so `onRecord` must be idempotent (records that patch a state
 * by key are).
 */
export class StreamLog<T> {
  private consumer: Consumer | undefined;
  /** The offset after the last message read (a stream message carries its offset in `x-stream-offset`). */
  private nextOffset: number | undefined;
  private readonly barriers = new Map<string, () => void>();

  private constructor(
    private readonly transport: Transport,
    readonly name: string,
    private readonly options: StreamLogOptions<T>,
  ) {}

  /** Declares the stream (durable, replicated on a cluster), reads it from the start and keeps following it; resolves once caught up. */
  static async open<T>(transport: Transport, name: string, options: StreamLogOptions<T>): Promise<StreamLog<T>> {
    const log = new StreamLog(transport, name, options);
    await transport.declareQueue(name, { durable: true, type: 'stream', maxLengthBytes: options.maxLengthBytes ?? 1024 ** 3 });
    // Streams need a prefetch (credit) and manual acks; the consumer runner acks each record once read.
    log.consumer = await transport.consume(name, (message) => log.onMessage(message), {
      prefetch: 500,
      concurrency: 1,
      // From the start the first time; after a reconnect from the message after the last one read.
      streamOffset: () => log.nextOffset ?? 'first',
    });
    await log.sync();
    return log;
  }

  /** Appends a record; resolves once the broker confirmed it (replicated to a quorum of the stream's nodes). */
  async append(record: T): Promise<void> {
    await this.transport.publish('', this.name, JSON.stringify(record), { contentType: 'application/json' });
  }

  /**
   * Resolves once every record appended (by anyone) before this call has been passed to `onRecord`. Rejects (a
   * `TimeoutError`) when the barrier is not read back within `syncTimeoutMs` — the deadline covers the publish too,
   * which waits out a reconnect or a stream leader election on a cluster.
   */
  async sync(): Promise<void> {
    const id = randomUUID();
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    // Registered before the publish: the barrier may be read back before the broker's confirm arrives.
    const seen = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`stream ${this.name} to catch up`, timeoutMs)), timeoutMs);
      this.barriers.set(id, resolve);
    });
    const published = this.transport.publish('', this.name, '', { headers: { [BARRIER_HEADER]: id } }).catch((error: unknown) => {
      throw new TransportError(`cannot sync with stream ${this.name}: ${toError(error).message}`, { cause: error });
    });
    try {
      // Done when the barrier is read back (its confirm may come later); a failed publish fails at once.
      await Promise.race([seen, published.then(() => seen)]);
    } finally {
      clearTimeout(timer);
      this.barriers.delete(id);
      // Neither is left unobserved: an unhandled rejection would end the process.
      published.catch(() => undefined);
      seen.catch(() => undefined);
    }
  }

  /** Stops following the stream (the stream itself stays). */
  async close(): Promise<void> {
    await this.consumer?.cancel();
    this.consumer = undefined;
  }

  private async onMessage(message: IncomingMessage): Promise<void> {
    const offset = message.properties.headers?.['x-stream-offset'];
    if (typeof offset === 'number') this.nextOffset = offset + 1;
    const barrier = message.properties.headers?.[BARRIER_HEADER];
    if (barrier !== undefined) {
      const resolve = this.barriers.get(String(barrier));
      this.barriers.delete(String(barrier));
      resolve?.();
      return;
    }
    let record: T;
    try {
      record = this.options.parse(JSON.parse(message.body.toString('utf8')) as unknown);
    } catch (error) {
      this.options.onError?.(toError(error));
      return;
    }
    this.options.onRecord(record);
  }
}
