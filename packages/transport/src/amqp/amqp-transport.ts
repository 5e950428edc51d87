import { readFile } from 'node:fs/promises';
import type { ConfirmChannel } from 'amqplib';
import { ConfigError, TimeoutError, TransportError, toError } from '@vnfkit/protocol';
import { pino } from 'pino';
import { withDeadline } from '../internal/deadline.js';
import { LinkLostError } from '../internal/pending-requests.js';
import { redactUrl } from '../redact.js';
import { UnroutableError } from '../unroutable-error.js';
import type {
  ConsumeOptions,
  Consumer,
  ExchangeOptions,
  IncomingMessage,
  MessageHandler,
  MessageProperties,
  PublishProperties,
  QueueOptions,
  QueueState,
  RequestOptions,
  Transport,
  TransportEvent,
} from '../transport.js';
import { confirmPublish } from './confirm.js';
import { ConnectionKeeper, type AmqpTransportState, type Link } from './connection.js';
import { Consumers } from './consumers.js';
import { resolveAmqpOptions, type AmqpTransportOptions, type ResolvedAmqpTransportOptions } from './options.js';
import { watchReturn, type ReturnWatch } from './returns.js';
import { Rpc } from './rpc.js';
import { TopologyOps } from './topology-ops.js';
import { publishOptions, toBuffer } from './wire.js';

export type { AmqpTransportState } from './connection.js';

/**
 * The RabbitMQ transport (amqplib), a thin front over its parts: {@link ConnectionKeeper} (connection and
 * reconnect, over a list of broker addresses), {@link TopologyOps} (declarations, restored on every
 * connection), {@link Consumers}, {@link Rpc} (requests and replies) and confirmed publishes. Publishes resolve
 * on the broker's ack; each consumer has its own channel (so prefetch is per consumer); a lost connection is
 * re-established with capped, jittered exponential backoff, after which exchanges, queues (server-named ones
 * under new names), bindings and consumers are restored.
 *
 * @example
 * const transport = await createAmqpTransport({ url: 'amqp://guest:guest@localhost:5672', connectionName: 'my-vnfm' });
 * await transport.consume('generic', async (m) => transport.reply(m, 'null'), { prefetch: 5 });
 */
export class AmqpTransport implements Transport {
  private readonly keeper: ConnectionKeeper;
  private readonly ops: TopologyOps;
  private readonly consumers: Consumers;
  private readonly rpc: Rpc;
  private readonly options: ResolvedAmqpTransportOptions;
  private closing: Promise<void> | undefined;

  private constructor(options: ResolvedAmqpTransportOptions, ca: Buffer | undefined) {
    this.options = options;
    const log = (options.logger ?? pino({ enabled: false })).child({
      component: 'amqp-transport',
      broker: redactUrl(options.url),
      connectionName: options.connectionName,
    });
    this.keeper = new ConnectionKeeper(options, ca, log, {
      restore: async (link) => {
        await this.ops.restore(link);
        await this.consumers.resume(link);
        await this.rpc.restore(link);
      },
      lost: () => {
        this.consumers.dropStale();
        // A lasting reply queue keeps the replies sent meanwhile: requests in flight wait for the reconnect.
        if (options.replyMode !== 'lasting-queue') this.rpc.pending.linkLost('connection lost');
      },
      established: () => this.rpc.pending.resendOrphans(),
    });
    this.ops = new TopologyOps(this.keeper);
    this.consumers = new Consumers(this.keeper, this.ops.topology);
    this.rpc = new Rpc(this.keeper, this.ops);
  }

  /** Connects (retrying with backoff until `connectTimeoutMs`) and returns the open transport. */
  static async connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const transport = await AmqpTransport.create(options);
    await transport.keeper.connectFirst();
    return transport;
  }

  /**
   * A transport that has not connected yet (state `idle`): declarations, bindings and consumers made now are
   * recorded and applied on the first connection. {@link start} connects in the background and retries — any
   * error, for ever — until it is connected or closed; `connected` fires each time a connection is up. For
   * daemons that must come up before the broker is reachable (the EMS agent in a booting VM).
   */
  static async create(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const resolved = resolveAmqpOptions(options);
    let ca: Buffer | undefined;
    if (resolved.caFile !== undefined) {
      try {
        ca = await readFile(resolved.caFile);
      } catch (error) {
        throw new ConfigError(`cannot read the broker CA file ${resolved.caFile}: ${toError(error).message}`, { cause: error });
      }
    }
    return new AmqpTransport(resolved, ca);
  }

  /** Starts connecting in the background (a transport from {@link create}); idempotent. */
  start(): void {
    if (this.keeper.state === 'idle') this.keeper.connectInBackground();
  }

  /** Where the transport is in its life-cycle. */
  get state(): AmqpTransportState {
    return this.keeper.state;
  }

  /** The broker URL of the connection in use (password masked), while connected. */
  get broker(): string | undefined {
    return this.keeper.link ? redactUrl(this.keeper.link.url) : undefined;
  }

  declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): Promise<void> {
    return this.ops.declareExchange(name, type, options);
  }

  declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    return this.ops.declareQueue(name, options);
  }

  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    return this.ops.bindQueue(queue, exchange, routingKey);
  }

  deleteQueue(name: string): Promise<void> {
    return this.ops.deleteQueue(name);
  }

  inspectQueue(name: string): Promise<QueueState | undefined> {
    return this.ops.inspectQueue(name);
  }

  consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    return this.consumers.consume(queue, handler, options);
  }

  request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    return this.rpc.request(exchange, routingKey, body, options);
  }

  resendRequest(correlationId: string): boolean {
    return this.rpc.pending.resend(correlationId);
  }

  /**
   * Publishes and resolves once the broker confirmed. With `resendPublishes`, a publish whose connection dropped
   * before the confirm is sent again on the next connection, all within one `publishTimeoutMs`.
   */
  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: PublishProperties = {}): Promise<void> {
    const what = `publishing to ${exchange || '(default exchange)'} with routing key ${routingKey}`;
    const payload = toBuffer(body);
    const deadline = Date.now() + this.options.publishTimeoutMs;
    for (;;) {
      try {
        await this.publishOnce(what, { exchange, routingKey, payload, properties, timeoutMs: Math.max(1, deadline - Date.now()) });
        return;
      } catch (error) {
        const again =
          this.options.resendPublishes && error instanceof LinkLostError && Date.now() < deadline && !this.keeper.stopping.signal.aborted;
        if (!again) throw error instanceof LinkLostError ? new TransportError(error.message, { cause: error }) : error;
        this.keeper.log.debug({ routingKey }, 'publish interrupted by a lost connection; sending it again after the reconnect');
      }
    }
  }

  private async publishOnce(
    what: string,
    input: { exchange: string; routingKey: string; payload: Buffer; properties: PublishProperties; timeoutMs: number },
  ): Promise<void> {
    let link: Link;
    try {
      link = await this.keeper.linkFor(what);
    } catch (error) {
      if (error instanceof LinkLostError) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
      throw error;
    }
    let channel: ConfirmChannel | undefined;
    let watch: ReturnWatch | undefined;
    const { mandatory, ...properties } = input.properties;
    try {
      channel = await link.publisher.get();
      const key = input.exchange === '' ? this.ops.topology.resolve(input.routingKey) : input.routingKey;
      await this.ops.exchangeExists(link, input.exchange);
      if (mandatory === true) watch = watchReturn(channel, properties.headers);
      await confirmPublish(channel, {
        exchange: input.exchange,
        routingKey: key,
        timeoutMs: input.timeoutMs,
        flow: link.flow,
        payload: input.payload,
        options: watch ? { ...publishOptions({ ...properties, headers: watch.headers }), mandatory: true } : publishOptions(properties),
      });
    } catch (error) {
      if (link.lost) throw new LinkLostError(`connection lost before the broker confirmed ${what}`, { cause: error });
      if (error instanceof TimeoutError) throw error;
      link.exchangeChecks.clear();
      throw new TransportError(`${what} failed: ${this.keeper.describe(channel, error)}`, { cause: error });
    } finally {
      watch?.stop();
    }
    if (watch?.returned() === true) throw new UnroutableError(`no queue took the message (${what})`);
  }

  async reply(request: IncomingMessage, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const replyTo = request.properties.replyTo;
    if (!replyTo)
      throw new TransportError(`cannot reply to a message from ${request.routingKey || '(default exchange)'}: it has no reply_to`);
    const p: MessageProperties = { ...properties };
    if (request.properties.correlationId) p.correlationId = request.properties.correlationId;
    await this.publish('', replyTo, body, p);
  }

  /** Fires each time a connection is established (the first one completes before `createAmqpTransport` resolves). */
  on(event: 'connected', listener: () => void): this;
  /** Fires when the connection is lost; the transport is already reconnecting, and publishes wait for it. */
  on(event: 'disconnected', listener: () => void): this;
  /** Fires after a lost connection was re-established and the topology and consumers were restored. */
  on(event: 'reconnected', listener: () => void): this;
  /** Fires when the broker blocks the connection (memory or disk alarm); publishes wait, their deadline paused. */
  on(event: 'blocked', listener: () => void): this;
  /** Fires when the broker unblocks the connection again. */
  on(event: 'unblocked', listener: () => void): this;
  /** Subscribes to a connection life-cycle event. */
  on(event: TransportEvent, listener: () => void): this;
  on(event: TransportEvent, listener: () => void): this {
    this.keeper.on(event, listener);
    return this;
  }

  /** Unsubscribes from a connection life-cycle event. */
  off(event: TransportEvent, listener: () => void): this {
    this.keeper.off(event, listener);
    return this;
  }

  /**
   * Graceful shutdown: cancels every consumer, waits (up to `closeTimeoutMs`) for handlers in flight —
   * which may still publish and reply — fails pending requests, closes the channels and the connection.
   * Idempotent; no reconnect happens after it.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const { keeper } = this;
    if (keeper.state === 'closed') return;
    keeper.state = 'closing';
    const stopped = keeper.stop();
    // Without a link nothing can be published any more: fail waiters now instead of at the deadline.
    if (!keeper.link?.established) keeper.gate.shut(new TransportError('transport is closed'));
    keeper.log.debug('closing');
    await this.consumers.cancelAll();
    keeper.gate.shut(new TransportError('transport is closed'));
    this.rpc.pending.failAll('transport closed');
    const link = keeper.link;
    const lastingQueue = this.rpc.lastingReplyQueue;
    if (link?.established && lastingQueue !== undefined) {
      await withDeadline(
        link.admin.get().then((channel) => channel.deleteQueue(lastingQueue)),
        Math.min(5_000, this.options.closeTimeoutMs),
      );
    }
    keeper.link = undefined;
    if (link) {
      link.lost = true;
      await link.publisher.close();
      if (!(await withDeadline(link.connection.close(), this.options.closeTimeoutMs))) {
        (link.connection as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }
    }
    await stopped;
    keeper.state = 'closed';
    keeper.log.info('broker connection closed');
  }
}

/**
 * Connects to RabbitMQ and returns a {@link Transport}; retries the first connect with backoff up to
 * `connectTimeoutMs`, then throws a `TransportError` naming the URL without its password.
 *
 * @example
 * const transport = await createAmqpTransport({ connectionName: 'generic-vnfm', replyMode: 'direct' });
 * const reply = await transport.request('openbaton-exchange', 'nfvo.manager.handling', body, { timeoutMs: 10_000, waitedFor: 'registration' });
 */
export function createAmqpTransport(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  return AmqpTransport.connect(options);
}
