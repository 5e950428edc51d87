import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CONTENT_TYPE, ConfigError, TransportError, toError } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { sleep, withDeadline } from '../internal/deadline.js';
import { ConsumerRunner, consumeLimits } from '../internal/consumer-runner.js';
import { LinkGate } from '../internal/link-gate.js';
import { PendingRequests, type SendContext } from '../internal/pending-requests.js';
import { Topology } from '../internal/topology.js';
import { MemoryBroker, type BrokerClient, type BrokerConsumer, type BrokerDelivery } from './memory-broker.js';
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
import { withReplyToHeaders } from '../transport.js';
import { UnroutableError } from '../unroutable-error.js';

export { MemoryBroker, topicMatches } from './memory-broker.js';
export type { BrokerClient } from './memory-broker.js';

/** What a request's send attempts need. */
interface RequestInput {
  exchange: string;
  routingKey: string;
  payload: Buffer;
  headers: Record<string, unknown> | undefined;
  headersForReplyTo: ((replyTo: string) => Record<string, unknown>) | undefined;
  waitedFor: string;
  mandatory: boolean;
  persistent: boolean;
}
/** Options of {@link createMemoryTransport}; every wait is configurable so tests stay fast. */
export interface MemoryTransportOptions {
  /** How RPC replies come back: emulated direct reply-to, or an exclusive server-named queue. @default 'direct' */
  replyMode?: 'direct' | 'queue';
  /** How long an operation attempted while disconnected waits for the reconnect, in milliseconds. @default 30_000 */
  publishTimeoutMs?: number;
  /** How long `close()` and `Consumer.cancel()` wait for handlers in flight, in milliseconds. @default 30_000 */
  closeTimeoutMs?: number;
  /** Name used in log lines (like an AMQP connection name). @default 'memory' */
  connectionName?: string;
  /** Parent logger; the transport logs through a child with `component: 'memory-transport'`. @default a disabled pino logger */
  logger?: Logger;
}

/** Life-cycle of a {@link MemoryTransport}: `open` ⇄ `reconnecting` (after a simulated drop) → `closing` → `closed`. */
export type MemoryTransportState = 'open' | 'reconnecting' | 'closing' | 'closed';

interface ConsumerState {
  readonly handle: string;
  readonly prefetch: number;
  readonly exclusive: boolean;
  readonly runner: ConsumerRunner;
  broker: BrokerConsumer | undefined;
  cancelled: boolean;
  cancelling: Promise<void> | undefined;
}

/** Where replies come back during one connection: a direct reply-to address or an exclusive queue. */
interface ReplyEndpoint {
  readonly address: string;
}

function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

function positive(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0)
    throw new ConfigError(`memory transport option ${field} must be a non-negative number, got ${String(value)}`);
  return v;
}

/**
 * A {@link Transport} on a {@link MemoryBroker}: the same semantics as the `amqp` transport (topology
 * restored after a drop, RPC bookkeeping, prefetch and concurrency, ack/nack) without sockets. Each
 * instance is one "connection"; several on one broker behave like several processes.
 */
export class MemoryTransport implements Transport, BrokerClient {
  /** Unique id of this connection on its broker. */
  readonly clientId = randomUUID();
  private readonly log: Logger;
  private readonly events = new EventEmitter();
  private readonly topology = new Topology();
  private readonly consumers = new Set<ConsumerState>();
  private readonly pending = new PendingRequests();
  private readonly gate = new LinkGate();
  private readonly stopping = new AbortController();
  private readonly options: Readonly<Required<Omit<MemoryTransportOptions, 'logger'>>>;
  private current: MemoryTransportState = 'open';
  private replyEndpoint: ReplyEndpoint | undefined;
  private reconnecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    /** The broker this transport is connected to. */
    readonly broker: MemoryBroker = new MemoryBroker(),
    options: MemoryTransportOptions = {},
  ) {
    this.options = Object.freeze({
      replyMode: options.replyMode ?? 'direct',
      publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 30_000),
      closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 30_000),
      connectionName: options.connectionName ?? 'memory',
    });
    this.log = (options.logger ?? pino({ enabled: false })).child({
      component: 'memory-transport',
      connectionName: this.options.connectionName,
    });
    broker.connect(this);
    this.gate.open();
  }

  /** Where the transport is in its life-cycle. */
  get state(): MemoryTransportState {
    return this.current;
  }

  // ---------------------------------------------------------------- connection life-cycle

  /** @internal Called by the broker after it dropped this connection; reconnects after `downMs`. */
  connectionDropped(downMs: number): Promise<void> {
    if (this.current === 'closed' || this.current === 'reconnecting') return this.reconnecting ?? Promise.resolve();
    this.replyEndpoint = undefined;
    for (const state of this.consumers) {
      state.broker = undefined;
      state.runner.dropStale();
    }
    this.gate.down();
    this.pending.linkLost('connection lost');
    if (this.current === 'closing') {
      this.gate.shut(new TransportError('transport is closed'));
      return Promise.resolve();
    }
    this.current = 'reconnecting';
    this.log.warn('connection to the broker lost; reconnecting');
    this.emit('disconnected');
    this.reconnecting = this.reconnect(downMs).finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  private async reconnect(downMs: number): Promise<void> {
    // Always at least one macrotask: the application sees 'disconnected' before anything is restored.
    if (downMs > 0) await sleep(downMs, this.stopping.signal);
    else await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.stopping.signal.aborted) return;
    this.broker.connect(this);
    this.restoreTopology();
    for (const state of this.consumers) {
      if (state.cancelled) continue;
      try {
        this.startConsumer(state);
      } catch (error) {
        this.log.error(
          { queue: state.handle, err: toError(error).message },
          'resuming a consumer after a reconnect failed; retried after the next one',
        );
      }
    }
    this.current = 'open';
    this.gate.open();
    this.log.info({ restored: 'topology and consumers' }, 'reconnected to the broker');
    this.emit('connected');
    this.emit('reconnected');
    this.pending.resendOrphans();
  }

  private restoreTopology(): void {
    const step = (what: string, action: () => void): void => {
      try {
        action();
      } catch (error) {
        this.log.error({ what, err: toError(error).message }, 'restoring the topology after a reconnect failed for one item; skipped');
      }
    };
    for (const ex of this.topology.exchanges.values())
      step(`exchange ${ex.name}`, () => this.broker.declareExchange(ex.name, ex.type, ex.options));
    for (const q of this.topology.queues.values()) {
      step(`queue ${q.handle}`, () => {
        if (!q.serverNamed) {
          this.broker.declareQueue(q.current, q.options, this);
          return;
        }
        // A non-exclusive server-named queue outlives the connection: keep it when it is still there.
        if (!q.options.exclusive && this.broker.hasQueue(q.current)) return;
        this.topology.rename(q.handle, this.broker.declareQueue('', q.options, this));
      });
    }
    for (const b of this.topology.bindings) {
      step(`binding ${b.queue} → ${b.exchange}`, () =>
        this.broker.bindQueue(this.topology.resolve(b.queue), b.exchange, b.routingKey, this),
      );
    }
  }

  private emit(event: TransportEvent): void {
    try {
      this.events.emit(event);
    } catch (error) {
      this.log.error({ err: toError(error).message, event }, 'transport event listener threw');
    }
  }

  /** Waits (up to `publishTimeoutMs`) until connected. */
  private async ready(what: string, signal?: AbortSignal): Promise<void> {
    if (this.current === 'closed') throw new TransportError(`transport is closed (${what})`);
    await this.gate.wait({ timeoutMs: this.options.publishTimeoutMs, waitedFor: `the broker connection before ${what}`, signal });
  }

  private async op<T>(what: string, action: () => T): Promise<T> {
    await this.ready(what);
    try {
      return action();
    } catch (error) {
      throw new TransportError(`${what} failed: ${toError(error).message}`, { cause: error });
    }
  }

  // ---------------------------------------------------------------- topology

  async declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): Promise<void> {
    await this.op(`declaring exchange ${name}`, () => this.broker.declareExchange(name, type, options));
    this.topology.addExchange({ name, type, options: { ...options } });
  }

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    if (options.type === 'stream')
      throw new ConfigError(`the memory transport has no stream queues (declaring ${name}); use the amqp transport`);
    const actual = await this.op(`declaring queue ${name || '(server-named)'}`, () =>
      this.broker.declareQueue(name === '' ? '' : this.topology.resolve(name), options, this),
    );
    this.topology.addQueue(name, actual, { ...options });
    return actual;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.op(`binding queue ${queue} to ${exchange || '(default)'} with ${routingKey}`, () =>
      this.broker.bindQueue(this.topology.resolve(queue), exchange, routingKey, this),
    );
    this.topology.addBinding(queue, exchange, routingKey);
  }

  async inspectQueue(name: string): Promise<QueueState | undefined> {
    await this.ready(`inspecting queue ${name}`);
    const queue = this.topology.resolve(name);
    if (!this.broker.hasQueue(queue)) return undefined;
    return { messages: this.broker.depth(queue), consumers: this.broker.consumerCount(queue) };
  }

  async deleteQueue(name: string): Promise<void> {
    await this.op(`deleting queue ${name}`, () => this.broker.deleteQueue(this.topology.resolve(name)));
    this.topology.removeQueue(name);
  }

  // ---------------------------------------------------------------- publish

  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: PublishProperties = {}): Promise<void> {
    const { mandatory, ...messageProperties } = properties;
    const message: IncomingMessage = {
      body: toBuffer(body),
      properties: { contentType: CONTENT_TYPE, contentEncoding: 'UTF-8', ...messageProperties },
      exchange,
      routingKey: exchange === '' ? this.topology.resolve(routingKey) : routingKey,
      redelivered: false,
    };
    const what = `publishing to ${exchange || '(default exchange)'} with routing key ${routingKey}`;
    const routed = await this.op(what, () => this.broker.publish(message));
    if (!routed && mandatory === true) throw new UnroutableError(`no queue took the message (${what})`);
  }

  async reply(request: IncomingMessage, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const replyTo = request.properties.replyTo;
    if (!replyTo)
      throw new TransportError(`cannot reply to a message from ${request.routingKey || '(default exchange)'}: it has no reply_to`);
    const p: MessageProperties = { ...properties };
    if (request.properties.correlationId) p.correlationId = request.properties.correlationId;
    await this.publish('', replyTo, body, p);
  }

  // ---------------------------------------------------------------- consume

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const { prefetch, concurrency } = consumeLimits(options);
    if (this.current === 'closing' || this.current === 'closed')
      throw new TransportError(`transport is ${this.current} (consuming ${queue})`);
    const handle = this.topology.handleOf(queue) ?? queue;
    const state: ConsumerState = {
      handle,
      prefetch,
      exclusive: options.exclusive ?? false,
      runner: new ConsumerRunner({ handler, concurrency, log: this.log.child({ queue: handle }) }),
      broker: undefined,
      cancelled: false,
      cancelling: undefined,
    };
    // Registered first: a drop while this waits for the link resumes it like any other consumer.
    this.consumers.add(state);
    try {
      await this.op(`consuming ${queue}`, () => this.startConsumer(state));
    } catch (error) {
      state.cancelled = true;
      this.consumers.delete(state);
      throw error;
    }
    const topology = this.topology;
    return {
      get queue(): string {
        return topology.resolve(handle);
      },
      cancel: () => this.cancelConsumer(state),
    };
  }

  private startConsumer(state: ConsumerState): void {
    if (state.broker?.active) return;
    state.broker = this.broker.consume(this.topology.resolve(state.handle), this, {
      prefetch: state.prefetch,
      exclusive: state.exclusive,
      onDelivery: (delivery) => this.onDelivery(state, delivery),
      onCancelled: () => {
        this.log.warn({ queue: state.handle }, 'the broker cancelled a consumer (queue deleted?)');
        state.broker = undefined;
      },
    });
  }

  private onDelivery(state: ConsumerState, delivery: BrokerDelivery): void {
    state.runner.push({
      message: delivery.message,
      ack: () => this.broker.settle(delivery, 'ack'),
      nack: (requeue) => this.broker.settle(delivery, requeue ? 'requeue' : 'drop'),
      stale: () => delivery.settled,
    });
  }

  private cancelConsumer(state: ConsumerState): Promise<void> {
    state.cancelling ??= (async () => {
      state.cancelled = true;
      if (state.broker) this.broker.cancel(state.broker);
      // Deliveries not yet handed to the handler go back to the queue with redelivered=true.
      state.runner.stop();
      if (!(await withDeadline(state.runner.idle(), this.options.closeTimeoutMs))) {
        this.log.warn({ queue: state.handle, running: state.runner.running }, 'handlers still running after the close timeout');
      }
      this.consumers.delete(state);
    })();
    return state.cancelling;
  }

  // ---------------------------------------------------------------- RPC

  resendRequest(correlationId: string): boolean {
    return this.pending.resend(correlationId);
  }

  async request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs))
      throw new ConfigError(`request option timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
    if (this.current === 'closed') throw new TransportError('transport is closed');
    const waitedFor = options.waitedFor ?? `a reply from ${routingKey}`;
    const payload = toBuffer(body);
    const pendingOptions = { timeoutMs: options.timeoutMs, waitedFor, idempotent: options.idempotent, signal: options.signal };
    const input = {
      exchange,
      routingKey,
      payload,
      headers: options.headers,
      headersForReplyTo: options.headersForReplyTo,
      waitedFor,
      mandatory: options.retryUnroutable === true,
      persistent: options.persistent === true,
    };
    if (options.withoutCorrelationId === true) {
      const key = randomUUID();
      return this.pending.start(key, {
        options: pendingOptions,
        send: (context) => this.sendWithoutCorrelationId({ ...input, key }, context),
      });
    }
    const correlationId = options.correlationId ?? randomUUID();
    return this.pending.start(correlationId, {
      options: pendingOptions,
      send: (context) => this.sendRequest({ ...input, correlationId }, context),
    });
  }

  /** As the amqp transport: a direct reply-to address of its own per send attempt; its first message is the reply. */
  private async sendWithoutCorrelationId(input: RequestInput & { key: string }, context: SendContext): Promise<void> {
    await this.ready(`sending the request for ${input.waitedFor}`, context.signal);
    if (context.signal.aborted) return;
    const address = this.broker.openReplyTo(this, (message) => {
      this.broker.closeReplyTo(address);
      if (!this.pending.settle(input.key, message)) this.log.debug('late reply to a request without correlation id dropped');
    });
    context.signal.addEventListener('abort', () => this.broker.closeReplyTo(address), { once: true });
    const endpoint = { address };
    context.sentOn(endpoint);
    this.publishRequest(input, { contentType: CONTENT_TYPE, contentEncoding: 'UTF-8', replyTo: address }, input.key);
  }

  private async sendRequest(input: RequestInput & { correlationId: string }, context: SendContext): Promise<void> {
    const what = `sending the request for ${input.waitedFor}`;
    await this.ready(what, context.signal);
    if (context.signal.aborted) return;
    const endpoint = this.openReplyEndpoint();
    context.sentOn(endpoint);
    this.publishRequest(
      input,
      { contentType: CONTENT_TYPE, contentEncoding: 'UTF-8', correlationId: input.correlationId, replyTo: endpoint.address },
      input.correlationId,
    );
  }

  /** Publishes a request with its reply address set; one no queue takes (`mandatory`) is marked for a re-send. */
  private publishRequest(input: RequestInput, properties: MessageProperties & { replyTo: string }, key: string): void {
    const headers = withReplyToHeaders(input, properties.replyTo);
    if (headers) properties.headers = headers;
    if (input.persistent) properties.persistent = true;
    const routingKey = input.exchange === '' ? this.topology.resolve(input.routingKey) : input.routingKey;
    let routed: boolean;
    try {
      routed = this.broker.publish({ body: input.payload, properties, exchange: input.exchange, routingKey, redelivered: false });
    } catch (error) {
      throw new TransportError(`sending the request for ${input.waitedFor} failed: ${toError(error).message}`, { cause: error });
    }
    if (!routed && input.mandatory) this.pending.unroutable(key);
  }

  private openReplyEndpoint(): ReplyEndpoint {
    if (this.replyEndpoint) return this.replyEndpoint;
    const onReply = (message: IncomingMessage): void => {
      if (!this.pending.settle(message.properties.correlationId, message))
        this.log.debug({ correlationId: message.properties.correlationId }, 'late or unknown reply dropped');
    };
    if (this.options.replyMode === 'direct') {
      this.replyEndpoint = { address: this.broker.openReplyTo(this, onReply) };
      return this.replyEndpoint;
    }
    // An exclusive server-named queue, consumed without acks (noAck emulated by settling at once).
    const address = this.broker.declareQueue('', { exclusive: true, autoDelete: true }, this);
    this.broker.consume(address, this, {
      prefetch: Number.MAX_SAFE_INTEGER,
      exclusive: true,
      onDelivery: (delivery) => {
        this.broker.settle(delivery, 'ack');
        onReply(delivery.message);
      },
      onCancelled: () => {
        this.replyEndpoint = undefined;
      },
    });
    this.replyEndpoint = { address };
    return this.replyEndpoint;
  }

  // ---------------------------------------------------------------- events and close

  /** Fires after each (re)connect (not for the initial connection, which exists when the constructor returns). */
  on(event: 'connected', listener: () => void): this;
  /** Fires when the broker dropped the connection ({@link MemoryBroker.dropConnections}); the transport is reconnecting. */
  on(event: 'disconnected', listener: () => void): this;
  /** Fires after a dropped connection was re-established and the topology and consumers were restored. */
  on(event: 'reconnected', listener: () => void): this;
  /** Subscribes to a connection life-cycle event. */
  on(event: TransportEvent, listener: () => void): this;
  on(event: TransportEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  /** Unsubscribes from `connected`. */
  off(event: 'connected', listener: () => void): this;
  /** Unsubscribes from `disconnected`. */
  off(event: 'disconnected', listener: () => void): this;
  /** Unsubscribes from `reconnected`. */
  off(event: 'reconnected', listener: () => void): this;
  /** Unsubscribes from a connection life-cycle event. */
  off(event: TransportEvent, listener: () => void): this;
  off(event: TransportEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Graceful shutdown: cancels every consumer, waits (up to `closeTimeoutMs`) for handlers in flight,
   * fails pending requests and leaves the broker (exclusive queues go, unacked messages are requeued).
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const connected = this.current === 'open';
    this.current = 'closing';
    this.stopping.abort();
    if (!connected) this.gate.shut(new TransportError('transport is closed'));
    await Promise.all([...this.consumers].map((state) => this.cancelConsumer(state)));
    this.gate.shut(new TransportError('transport is closed'));
    this.pending.failAll('transport closed');
    this.broker.disconnect(this);
    await this.reconnecting;
    this.current = 'closed';
  }
}

/**
 * Creates a transport on `broker` (a new private broker when omitted).
 *
 * @example
 * const broker = new MemoryBroker();
 * const vnfm = createMemoryTransport(broker);
 * const nfvo = createMemoryTransport(broker, { replyMode: 'queue' });
 */
export function createMemoryTransport(broker: MemoryBroker = new MemoryBroker(), options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(broker, options);
}
