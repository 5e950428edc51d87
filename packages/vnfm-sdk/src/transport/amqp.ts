import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import type { Channel, ConfirmChannel, ConsumeMessage, ChannelModel, Options } from 'amqplib';
import { CONTENT_TYPE, DIRECT_REPLY_TO, TimeoutError, TransportError, toError } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { backoffDelay, redactUrl } from '../internal/backoff.js';
import { PendingRequests } from '../internal/pending-requests.js';
import type {
  ConsumeOptions, Consumer, ExchangeOptions, IncomingMessage, MessageHandler, MessageProperties, QueueOptions,
  RequestOptions, Transport, TransportEvent,
} from './transport.js';

/** Options of {@link createAmqpTransport}. */
export interface AmqpTransportOptions {
  /** Broker URL (`amqp://` or `amqps://`). @default process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' */
  url?: string;
  /** PEM CA file for `amqps://` brokers with a private CA. */
  caFile?: string;
  /** AMQP heartbeat in seconds. @default 60 */
  heartbeatSeconds?: number;
  /** Connection name shown by the broker (`rabbitmqctl list_connections name`). @default 'vnfkit' */
  connectionName?: string;
  logger?: Logger;
  /** Reconnect backoff bounds in milliseconds. @default { initialDelayMs: 100, maxDelayMs: 30_000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long the first connect may retry before failing. @default 30_000 */
  connectTimeoutMs?: number;
  /** How long a publish waits for a lost connection to come back. @default 30_000 */
  publishTimeoutMs?: number;
}

interface Declared {
  exchanges: Map<string, { type: string; options: ExchangeOptions }>;
  queues: Map<string, QueueOptions>;
  bindings: { queue: string; exchange: string; key: string }[];
}

interface ConsumerState {
  queue: string;
  handler: MessageHandler;
  options: ConsumeOptions;
  channel: Channel | undefined;
  tag: string | undefined;
  inFlight: number;
  cancelled: boolean;
  idle: Set<() => void>;
}

/** Resolves the transport options once: defaults and the `AMQP_URL` environment variable. */
export function resolveAmqpOptions(options: AmqpTransportOptions = {}, env: NodeJS.ProcessEnv = process.env): Required<Omit<AmqpTransportOptions, 'caFile' | 'logger'>> & Pick<AmqpTransportOptions, 'caFile' | 'logger'> {
  return {
    url: options.url ?? env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    caFile: options.caFile,
    heartbeatSeconds: options.heartbeatSeconds ?? 60,
    connectionName: options.connectionName ?? 'vnfkit',
    logger: options.logger,
    reconnect: { initialDelayMs: options.reconnect?.initialDelayMs ?? 100, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 },
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
  };
}

function toIncoming(msg: ConsumeMessage): IncomingMessage {
  const p = msg.properties;
  const properties: MessageProperties = {};
  if (p.contentType) properties.contentType = String(p.contentType);
  if (p.contentEncoding) properties.contentEncoding = String(p.contentEncoding);
  if (p.correlationId) properties.correlationId = String(p.correlationId);
  if (p.replyTo) properties.replyTo = String(p.replyTo);
  if (p.messageId) properties.messageId = String(p.messageId);
  if (p.headers && Object.keys(p.headers).length > 0) properties.headers = p.headers as Record<string, unknown>;
  return { body: msg.content, properties, exchange: msg.fields.exchange, routingKey: msg.fields.routingKey, redelivered: msg.fields.redelivered };
}

function publishOptions(properties: MessageProperties): Options.Publish {
  const o: Options.Publish = { contentType: properties.contentType ?? CONTENT_TYPE, contentEncoding: properties.contentEncoding ?? 'UTF-8' };
  if (properties.correlationId) o.correlationId = properties.correlationId;
  if (properties.replyTo) o.replyTo = properties.replyTo;
  if (properties.messageId) o.messageId = properties.messageId;
  if (properties.headers) o.headers = properties.headers;
  if (properties.persistent) o.persistent = true;
  if (properties.expiration !== undefined) o.expiration = String(properties.expiration);
  return o;
}

/**
 * The RabbitMQ transport: confirm-channel publishes, direct reply-to RPCs, and automatic reconnect with
 * capped, jittered backoff that re-declares the topology and resumes every consumer.
 */
export class AmqpTransport implements Transport {
  private connection: ChannelModel | undefined;
  private publisher: ConfirmChannel | undefined;
  private rpcChannel: Channel | undefined;
  private readonly events = new EventEmitter();
  private readonly declared: Declared = { exchanges: new Map(), queues: new Map(), bindings: [] };
  private readonly consumers = new Set<ConsumerState>();
  private readonly pending = new PendingRequests();
  private state: 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed' = 'connecting';
  private ready: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  private constructor(private readonly options: ReturnType<typeof resolveAmqpOptions>) {
    this.log = (options.logger ?? pino({ enabled: false })).child({ component: 'amqp-transport', broker: redactUrl(options.url) });
  }

  /** Connects (retrying until `connectTimeoutMs`) and returns the open transport. */
  static async connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const t = new AmqpTransport(resolveAmqpOptions(options));
    await t.connectLoop(t.options.connectTimeoutMs);
    t.events.emit('connected');
    return t;
  }

  private async openConnection(): Promise<void> {
    const socketOptions: Record<string, unknown> = { noDelay: true, clientProperties: { connection_name: this.options.connectionName } };
    if (this.options.caFile) socketOptions['ca'] = [readFileSync(this.options.caFile)];
    const url = new URL(this.options.url);
    url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds));
    const connection = await amqp.connect(url.toString(), socketOptions);
    connection.on('error', (error: Error) => this.log.warn({ err: error.message }, 'broker connection error'));
    connection.on('close', () => this.onConnectionLost(connection));
    this.connection = connection;
    this.publisher = await connection.createConfirmChannel();
    this.publisher.on('error', (error: Error) => this.log.warn({ err: error.message }, 'publish channel error'));
    this.publisher.on('close', () => this.onChannelClosed(connection));
    await this.restoreTopology();
    await this.openRpcChannel(connection);
    for (const c of this.consumers) if (!c.cancelled) await this.startConsumer(c);
  }

  private async connectLoop(deadlineMs: number | undefined): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.state === 'closing' || this.state === 'closed') throw new TransportError('transport closed');
      try {
        await this.openConnection();
        this.state = 'open';
        return;
      } catch (error) {
        await this.connection?.close().catch(() => undefined);
        this.connection = undefined;
        const message = toError(error).message;
        if (attempt === 0) this.log.warn({ err: message }, 'cannot reach the broker; retrying');
        else this.log.debug({ err: message, attempt }, 'broker still unreachable');
        const delay = backoffDelay(attempt, this.options.reconnect);
        if (deadlineMs !== undefined && Date.now() - started + delay > deadlineMs) {
          throw new TransportError(`cannot connect to ${redactUrl(this.options.url)} within ${deadlineMs} ms: ${message}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private onChannelClosed(connection: ChannelModel): void {
    // A channel error (e.g. publish to a missing exchange) closes the channel; reopen it on the same connection.
    if (this.connection !== connection || this.state !== 'open') return;
    connection.createConfirmChannel().then((ch) => {
      this.publisher = ch;
      ch.on('error', (error: Error) => this.log.warn({ err: error.message }, 'publish channel error'));
      ch.on('close', () => this.onChannelClosed(connection));
    }, () => undefined);
  }

  private onConnectionLost(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.publisher = undefined;
    this.rpcChannel = undefined;
    for (const c of this.consumers) {
      c.channel = undefined;
      c.tag = undefined;
    }
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'reconnecting';
    this.log.warn('broker connection lost; reconnecting');
    this.events.emit('disconnected');
    this.pending.linkLost();
    this.ready = this.connectLoop(undefined).then(
      async () => {
        this.log.info('reconnected to the broker');
        this.events.emit('reconnected');
        await this.pending.resendAll();
      },
      () => undefined,
    );
  }

  private async restoreTopology(): Promise<void> {
    const ch = this.requirePublisher();
    for (const [name, { type, options }] of this.declared.exchanges) await ch.assertExchange(name, type, { durable: options.durable ?? true, autoDelete: options.autoDelete ?? false });
    for (const [name, options] of this.declared.queues) await ch.assertQueue(name, this.queueArgs(options));
    for (const b of this.declared.bindings) await ch.bindQueue(b.queue, b.exchange, b.key);
  }

  private async openRpcChannel(connection: ChannelModel): Promise<void> {
    const ch = await connection.createChannel();
    ch.on('error', (error: Error) => this.log.warn({ err: error.message }, 'rpc channel error'));
    await ch.consume(DIRECT_REPLY_TO, (msg) => {
      if (!msg) return;
      const id = msg.properties.correlationId ? String(msg.properties.correlationId) : undefined;
      if (!this.pending.settle(id, toIncoming(msg))) this.log.debug({ correlationId: id }, 'late or unknown reply dropped');
    }, { noAck: true });
    this.rpcChannel = ch;
  }

  private queueArgs(options: QueueOptions): Options.AssertQueue {
    const args: Options.AssertQueue = { durable: options.durable ?? false, autoDelete: options.autoDelete ?? false, exclusive: options.exclusive ?? false };
    if (options.expiresMs !== undefined) args.expires = options.expiresMs;
    return args;
  }

  private requirePublisher(): ConfirmChannel {
    if (!this.publisher) throw new TransportError('not connected to the broker');
    return this.publisher;
  }

  private async whenOpen(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') throw new TransportError('transport is closed');
    if (this.state === 'open' && this.publisher) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new TimeoutError('the broker connection to come back', this.options.publishTimeoutMs)), this.options.publishTimeoutMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (!this.publisher) throw new TransportError('not connected to the broker');
  }

  private async channelOp<T>(op: (ch: ConfirmChannel) => Promise<T>, what: string): Promise<T> {
    await this.whenOpen();
    try {
      return await op(this.requirePublisher());
    } catch (error) {
      throw new TransportError(`${what} failed: ${toError(error).message}`, { cause: error });
    }
  }

  async declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): Promise<void> {
    await this.channelOp((ch) => ch.assertExchange(name, type, { durable: options.durable ?? true, autoDelete: options.autoDelete ?? false }), `declaring exchange ${name}`);
    this.declared.exchanges.set(name, { type, options });
  }

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    const ok = await this.channelOp((ch) => ch.assertQueue(name, this.queueArgs(options)), `declaring queue ${name || '(server-named)'}`);
    // Server-named queues get a new name after a reconnect, so only named queues are re-declared.
    if (name !== '') this.declared.queues.set(name, options);
    return ok.queue;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.channelOp((ch) => ch.bindQueue(queue, exchange, routingKey), `binding ${queue} to ${exchange}`);
    if (!this.declared.bindings.some((b) => b.queue === queue && b.exchange === exchange && b.key === routingKey)) {
      this.declared.bindings.push({ queue, exchange, key: routingKey });
    }
  }

  async deleteQueue(name: string): Promise<void> {
    await this.channelOp((ch) => ch.deleteQueue(name), `deleting queue ${name}`);
    this.declared.queues.delete(name);
    this.declared.bindings = this.declared.bindings.filter((b) => b.queue !== name);
  }

  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    await this.channelOp(
      (ch) =>
        new Promise<void>((resolve, reject) => {
          ch.publish(exchange, routingKey, Buffer.from(body), publishOptions(properties), (err) => (err ? reject(toError(err)) : resolve()));
        }),
      `publishing to ${exchange || '(default)'}/${routingKey}`,
    );
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    await this.whenOpen();
    const state: ConsumerState = { queue, handler, options, channel: undefined, tag: undefined, inFlight: 0, cancelled: false, idle: new Set() };
    this.consumers.add(state);
    await this.startConsumer(state);
    return { queue, cancel: () => this.cancelConsumer(state) };
  }

  private async startConsumer(state: ConsumerState): Promise<void> {
    if (!this.connection) throw new TransportError('not connected to the broker');
    const ch = await this.connection.createChannel();
    ch.on('error', (error: Error) => this.log.warn({ err: error.message, queue: state.queue }, 'consumer channel error'));
    const prefetch = Math.max(1, Math.min(state.options.concurrency ?? state.options.prefetch ?? 1, state.options.prefetch ?? Number.MAX_SAFE_INTEGER));
    await ch.prefetch(prefetch);
    const ok = await ch.consume(state.queue, (msg) => {
      if (!msg) return;
      state.inFlight += 1;
      const settle = (ack: boolean): void => {
        state.inFlight -= 1;
        // A delivery on a channel that died with the connection cannot be acked; the broker redelivers it.
        if (state.channel === ch) {
          try {
            if (ack) ch.ack(msg);
            else ch.nack(msg, false, false);
          } catch {
            /* channel closed meanwhile */
          }
        }
        if (state.inFlight === 0) for (const idle of state.idle) idle();
      };
      state.handler(toIncoming(msg)).then(
        () => settle(true),
        (error: unknown) => {
          this.log.error({ err: toError(error).message, queue: state.queue }, 'handler failed; message rejected');
          settle(false);
        },
      );
    }, { exclusive: state.options.exclusive ?? false });
    state.channel = ch;
    state.tag = ok.consumerTag;
  }

  private async cancelConsumer(state: ConsumerState): Promise<void> {
    if (state.cancelled) return;
    state.cancelled = true;
    this.consumers.delete(state);
    if (state.channel && state.tag) await state.channel.cancel(state.tag).catch(() => undefined);
    if (state.inFlight > 0) await new Promise<void>((resolve) => state.idle.add(resolve));
    await state.channel?.close().catch(() => undefined);
    state.channel = undefined;
  }

  async request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    await this.whenOpen();
    const correlationId = options.correlationId ?? randomUUID();
    const waitedFor = options.waitedFor ?? `reply from ${routingKey}`;
    const properties: MessageProperties = { correlationId, replyTo: DIRECT_REPLY_TO, ...(options.headers ? { headers: options.headers } : {}) };
    return this.pending.start(correlationId, {
      options: { ...options, waitedFor },
      send: () => {
        // Direct reply-to requires publishing on the channel that consumes amq.rabbitmq.reply-to.
        if (!this.rpcChannel) throw new TransportError(`not connected while sending the request for ${waitedFor}`);
        this.rpcChannel.publish(exchange, routingKey, Buffer.from(body), publishOptions(properties));
      },
    });
  }

  async reply(request: IncomingMessage, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const replyTo = request.properties.replyTo;
    if (!replyTo) throw new TransportError('cannot reply: the request has no reply_to');
    const p: MessageProperties = { ...properties };
    if (request.properties.correlationId) p.correlationId = request.properties.correlationId;
    await this.publish('', replyTo, body, p);
  }

  on(event: TransportEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: TransportEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    await Promise.all([...this.consumers].map((c) => this.cancelConsumer(c)));
    this.pending.failAll('transport closed');
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
    this.state = 'closed';
  }
}

/** Connects to RabbitMQ and returns a {@link Transport}. */
export function createAmqpTransport(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  return AmqpTransport.connect(options);
}
