import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { amqplibSocket, coalesceWrites } from '@vnfkit/protocol';
import { maskUrl } from '../config.js';
import { transportError } from '../errors.js';
import type {
  AgentLink,
  LinkConsumeOptions,
  LinkConsumer,
  LinkEvent,
  LinkIncomingMessage,
  LinkMessageHandler,
  LinkMessageProperties,
  LinkQueueOptions,
} from '../link.js';

/** Options of {@link createAmqpLink}. */
export interface AmqpLinkOptions {
  /** Broker URL (`amqp://` or `amqps://`); a `heartbeat` query parameter is added when missing. */
  url: string;
  /** AMQP heartbeat in seconds (0 disables). @default 60 */
  heartbeatSeconds?: number;
  /** Client-provided connection name, shown by `rabbitmqctl list_connections client_properties`. */
  connectionName?: string;
  /** First reconnect delay in milliseconds. @default 500 */
  reconnectMinDelayMs?: number;
  /** Cap of the reconnect delay in milliseconds. @default 30000 */
  reconnectMaxDelayMs?: number;
  /** TCP/TLS connect deadline in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** Deadline of one publisher confirm in milliseconds. @default 30000 */
  publishTimeoutMs?: number;
  /** Trusted CA certificates (PEM) for `amqps://`. */
  ca?: Buffer[];
  logger?: Logger;
  /** Random source for the backoff jitter (tests make it deterministic). @default Math.random */
  random?: () => number;
}

/** The agent's own amqplib-based {@link AgentLink}: one connection, one confirm channel, reconnect forever. */
export interface AmqpLink extends AgentLink {
  /** Starts connecting in the background (idempotent); topology and consumers are applied on every connect. */
  connect(): void;
  /** True while a channel is open. */
  readonly connected: boolean;
}

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  random: () => number;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from `minMs`, capped at
 * `maxMs`, with jitter drawn from the upper half so many agents do not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponential = options.minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(options.maxMs, exponential);
  return Math.round(capped / 2 + (options.random() * capped) / 2);
}

interface ConsumerState {
  id: number;
  queue: string;
  handler: LinkMessageHandler;
  options: LinkConsumeOptions;
  tag?: string;
  channel?: ConfirmChannel;
  inFlight: Set<Promise<void>>;
  cancelled: boolean;
}

interface Binding {
  queue: string;
  exchange: string;
  routingKey: string;
}

function toIncoming(message: ConsumeMessage): LinkIncomingMessage {
  const p = message.properties;
  const properties: LinkMessageProperties = {};
  if (typeof p.contentType === 'string') properties.contentType = p.contentType;
  if (typeof p.contentEncoding === 'string') properties.contentEncoding = p.contentEncoding;
  if (p.correlationId !== undefined && p.correlationId !== null) properties.correlationId = String(p.correlationId);
  if (p.replyTo !== undefined && p.replyTo !== null) properties.replyTo = String(p.replyTo);
  if (p.messageId !== undefined && p.messageId !== null) properties.messageId = String(p.messageId);
  if (p.headers) properties.headers = { ...p.headers };
  if (p.deliveryMode === 2) properties.persistent = true;
  if (p.expiration !== undefined && p.expiration !== null) properties.expiration = Number(p.expiration);
  return {
    body: message.content,
    properties,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    redelivered: message.fields.redelivered,
  };
}

function toPublishOptions(properties: LinkMessageProperties = {}): Options.Publish {
  const options: Options.Publish = {};
  if (properties.contentType !== undefined) options.contentType = properties.contentType;
  if (properties.contentEncoding !== undefined) options.contentEncoding = properties.contentEncoding;
  if (properties.correlationId !== undefined) options.correlationId = properties.correlationId;
  if (properties.replyTo !== undefined) options.replyTo = properties.replyTo;
  if (properties.messageId !== undefined) options.messageId = properties.messageId;
  if (properties.headers !== undefined) options.headers = properties.headers;
  if (properties.persistent !== undefined) options.persistent = properties.persistent;
  if (properties.expiration !== undefined) options.expiration = String(properties.expiration);
  return options;
}

function withHeartbeat(url: string, heartbeat: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(heartbeat));
  return parsed.toString();
}

function queueArguments(options: LinkQueueOptions): Options.AssertQueue {
  return {
    durable: options.durable ?? false,
    autoDelete: options.autoDelete ?? false,
    exclusive: options.exclusive ?? false,
    ...(options.expiresMs !== undefined ? { arguments: { 'x-expires': options.expiresMs } } : {}),
  };
}

class AmqpLinkImpl implements AmqpLink {
  private readonly events = new EventEmitter();
  private readonly log: Logger;
  private readonly queues = new Map<string, LinkQueueOptions>();
  private readonly bindings: Binding[] = [];
  private readonly consumers = new Map<number, ConsumerState>();
  private nextConsumerId = 1;
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  /** Channels that have closed: a publish that failed on one is sent again on the next connection. */
  private readonly deadChannels = new WeakSet<ConfirmChannel>();
  /** True while the broker blocks the connection (resource alarm); publish deadlines wait for the unblock. */
  private blocked = false;
  private readonly unblockWaiters = new Set<() => void>();
  private started = false;
  private closed = false;
  private everConnected = false;
  private connecting = false;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(private readonly options: AmqpLinkOptions) {
    this.log = (options.logger ?? pino({ enabled: false })).child({ component: 'amqp-link' });
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  connect(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.reconnectLoop().catch((error: unknown) => this.log.error({ err: error }, 'reconnect loop failed'));
  }

  on(event: LinkEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: LinkEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  /** Recorded and applied on every connect; when connected it is also applied now (a failure triggers a reconnect). */
  async declareQueue(name: string, options: LinkQueueOptions = {}): Promise<string> {
    if (name === '') throw transportError('the EMS link does not support server-named queues');
    this.queues.set(name, options);
    const channel = this.channel;
    if (channel) await this.applySafely(() => channel.assertQueue(name, queueArguments(options)));
    return name;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    const known = this.bindings.some((b) => b.queue === queue && b.exchange === exchange && b.routingKey === routingKey);
    if (!known) this.bindings.push({ queue, exchange, routingKey });
    const channel = this.channel;
    if (channel) await this.applySafely(() => channel.bindQueue(queue, exchange, routingKey));
  }

  /**
   * Publishes with a publisher confirm (four parameters: the signature equals the SDK Transport's publish()). Before the first `connect()` it fails at once; while the link
   * is reconnecting it waits for the new connection, and a publish whose connection dropped before
   * the broker confirmed it is sent again on the next one — all within `publishTimeoutMs`. Sending
   * twice is safe for what the agent publishes (hellos, and replies that the VNFM matches by
   * correlation id and takes once), while giving up would lose the reply of a script that ran.
   */
  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties?: LinkMessageProperties): Promise<void> {
    if ((!this.started || this.closed) && !this.channel) throw transportError(`not connected to the broker; cannot publish to "${routingKey}"`);
    const content = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    const timeoutMs = this.options.publishTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const channel = this.liveChannel() ?? (await this.nextChannel(deadline, routingKey));
      try {
        await this.publishOnce(channel, { exchange, routingKey, content, properties, timeoutMs: Math.max(1, deadline - Date.now()) });
        return;
      } catch (error) {
        // The connection dropped under this publish: try again on the next one (the deadline still holds).
        if (this.closed || Date.now() >= deadline || (this.channel === channel && !this.deadChannels.has(channel))) throw error;
        this.log.debug({ err: error, routingKey }, 'publish interrupted by a lost connection; sending it again after the reconnect');
      }
    }
  }

  /** The current channel unless it has closed (its connection is then being reset). */
  private liveChannel(): ConfirmChannel | undefined {
    return this.channel && !this.deadChannels.has(this.channel) ? this.channel : undefined;
  }

  /** Resolves with the channel of the next connection; rejects at the deadline or when the link closes. */
  private nextChannel(deadline: number, routingKey: string): Promise<ConfirmChannel> {
    return new Promise<ConfirmChannel>((resolve, reject) => {
      const check = (): void => {
        const channel = this.liveChannel();
        if (channel) {
          finish();
          resolve(channel);
        } else if (this.closed) {
          finish();
          reject(transportError(`the link closed before "${routingKey}" could be published`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(transportError(`not connected to the broker; gave up publishing to "${routingKey}" after ${this.options.publishTimeoutMs ?? 30_000} ms`));
      }, Math.max(1, deadline - Date.now()));
      const finish = (): void => {
        clearTimeout(timer);
        this.events.off('connected', check);
        this.events.off('reconnected', check);
        this.events.off('closed', check);
      };
      this.events.on('connected', check);
      this.events.on('reconnected', check);
      this.events.on('closed', check);
      check();
    });
  }

  private publishOnce(
    channel: ConfirmChannel,
    input: { exchange: string; routingKey: string; content: Buffer; properties: LinkMessageProperties | undefined; timeoutMs: number },
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let waiter: (() => void) | undefined;
      // The deadline pauses while the broker blocks the connection (memory or disk alarm): the message is
      // on its way and will be confirmed once the alarm clears; failing it would drop the command's reply.
      const arm = (): void => {
        timer = setTimeout(() => {
          if (this.blocked) {
            waiter = arm;
            this.unblockWaiters.add(waiter);
            return;
          }
          reject(transportError(`no publisher confirm for "${input.routingKey}" within ${input.timeoutMs} ms`));
        }, input.timeoutMs);
      };
      const stopTimer = (): void => {
        clearTimeout(timer);
        if (waiter) this.unblockWaiters.delete(waiter);
      };
      arm();
      try {
        channel.publish(input.exchange, input.routingKey, input.content, toPublishOptions(input.properties), (error: unknown) => {
          stopTimer();
          if (error) reject(transportError(`broker rejected the message to "${input.routingKey}"`, error));
          else resolve();
        });
      } catch (error) {
        stopTimer();
        reject(transportError(`cannot publish to "${input.routingKey}"`, error));
      }
    });
  }

  async consume(queue: string, handler: LinkMessageHandler, options: LinkConsumeOptions = {}): Promise<LinkConsumer> {
    const state: ConsumerState = { id: this.nextConsumerId++, queue, handler, options, inFlight: new Set(), cancelled: false };
    this.consumers.set(state.id, state);
    const channel = this.channel;
    if (channel) await this.applySafely(() => this.startConsumer(channel, state));
    return {
      queue,
      cancel: async () => {
        if (state.cancelled) return;
        state.cancelled = true;
        this.consumers.delete(state.id);
        const { channel: current, tag } = state;
        if (current && tag !== undefined && current === this.channel) {
          await current.cancel(tag).catch(() => undefined);
        }
        await Promise.allSettled([...state.inFlight]);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.emit('closed');
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    const consumers = [...this.consumers.values()];
    for (const state of consumers) state.cancelled = true;
    const channel = this.channel;
    if (channel) {
      await Promise.all(consumers.map((s) => (s.tag !== undefined ? channel.cancel(s.tag).catch(() => undefined) : undefined)));
    }
    await Promise.allSettled(consumers.flatMap((s) => [...s.inFlight]));
    this.consumers.clear();
    const model = this.model;
    this.channel = undefined;
    this.model = undefined;
    if (model) await model.close().catch(() => undefined);
  }

  /** Runs a topology operation on the live channel; a broker refusal closes the channel and the reconnect loop retries. */
  private async applySafely(operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      this.log.warn({ err: error }, 'broker refused a topology operation; will retry after reconnect');
      this.dropConnection();
    }
  }

  private async startConsumer(channel: ConfirmChannel, state: ConsumerState): Promise<void> {
    await channel.prefetch(state.options.prefetch ?? 1);
    const { consumerTag } = await channel.consume(
      state.queue,
      (message) => {
        if (message === null) {
          this.log.warn({ queue: state.queue }, 'consumer cancelled by the broker; reconnecting');
          this.dropConnection();
          return;
        }
        this.dispatch(channel, state, message);
      },
      { noAck: false, exclusive: state.options.exclusive ?? false },
    );
    state.tag = consumerTag;
    state.channel = channel;
  }

  private dispatch(channel: ConfirmChannel, state: ConsumerState, message: ConsumeMessage): void {
    const run = (async () => {
      let ok = true;
      try {
        await state.handler(toIncoming(message));
      } catch (error) {
        ok = false;
        this.log.warn({ err: error, queue: state.queue }, 'handler failed; message nacked');
      }
      try {
        if (ok) channel.ack(message);
        else channel.nack(message, false, false);
      } catch (error) {
        // The channel died meanwhile: the broker requeues the message and redelivers it.
        this.log.debug({ err: error }, 'could not settle a delivery on a closed channel');
      }
    })();
    state.inFlight.add(run);
    void run.finally(() => state.inFlight.delete(run));
  }

  private dropConnection(): void {
    const model = this.model;
    if (model) model.close().catch(() => undefined);
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
    this.wakeSleep = undefined;
    this.sleepTimer = undefined;
  }

  private async reconnectLoop(): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    let attempt = 0;
    try {
      while (!this.closed) {
        try {
          await this.openOnce();
          return;
        } catch (error) {
          attempt += 1;
          const delay = backoffDelay(attempt, {
            minMs: this.options.reconnectMinDelayMs ?? 500,
            maxMs: this.options.reconnectMaxDelayMs ?? 30_000,
            random: this.options.random ?? Math.random,
          });
          const details = { err: error, attempt, delayMs: delay, url: maskUrl(this.options.url) };
          if (attempt === 1) this.log.warn(details, 'cannot connect to the broker; retrying');
          else this.log.debug(details, 'still cannot connect to the broker; retrying');
          await this.sleep(delay);
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private async openOnce(): Promise<void> {
    const heartbeat = this.options.heartbeatSeconds ?? 60;
    const socketOptions: Record<string, unknown> = {
      noDelay: true,
      timeout: this.options.connectTimeoutMs ?? 10_000,
      clientProperties: { connection_name: this.options.connectionName ?? 'vnfkit-ems' },
    };
    if (this.options.ca) socketOptions.ca = this.options.ca;
    const model = await amqp.connect(withHeartbeat(this.options.url, heartbeat), socketOptions);
    const socket = amqplibSocket(model);
    if (socket) coalesceWrites(socket);
    let channel: ConfirmChannel;
    try {
      model.on('error', (error: unknown) => this.log.warn({ err: error }, 'broker connection error'));
      model.on('blocked', (reason: unknown) => {
        if (this.model !== undefined && this.model !== model) return;
        this.blocked = true;
        this.log.warn({ reason: String(reason) }, 'the broker blocked this connection (resource alarm); publishes wait until it unblocks');
      });
      model.on('unblocked', () => {
        this.unblock();
        this.log.info('the broker unblocked this connection');
      });
      channel = await model.createConfirmChannel();
      const created = channel;
      created.once('close', () => this.deadChannels.add(created));
      channel.on('error', (error: unknown) => this.log.warn({ err: error }, 'broker channel error'));
      for (const [name, options] of this.queues) await channel.assertQueue(name, queueArguments(options));
      for (const b of this.bindings) await channel.bindQueue(b.queue, b.exchange, b.routingKey);
      for (const state of this.consumers.values()) {
        if (!state.cancelled) await this.startConsumer(channel, state);
      }
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    this.model = model;
    this.channel = channel;
    const onLost = (): void => this.onLost(model);
    model.once('close', onLost);
    channel.once('close', () => {
      // A channel-level error (e.g. a refused bind) leaves the connection open: reset both.
      if (this.model === model) model.close().catch(() => undefined);
    });
    const first = !this.everConnected;
    this.everConnected = true;
    this.log.info({ url: maskUrl(this.options.url) }, first ? 'connected to the broker' : 'reconnected to the broker');
    this.events.emit(first ? 'connected' : 'reconnected');
  }

  /** The broker unblocked the connection (or it is gone): paused publish deadlines start again. */
  private unblock(): void {
    this.blocked = false;
    for (const waiter of [...this.unblockWaiters]) waiter();
    this.unblockWaiters.clear();
  }

  private onLost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.unblock();
    this.model = undefined;
    this.channel = undefined;
    if (this.closed) return;
    this.log.warn('lost the broker connection; reconnecting');
    this.events.emit('disconnected');
    this.reconnectLoop().catch((error: unknown) => this.log.error({ err: error }, 'reconnect loop failed'));
  }
}

/**
 * Creates the agent's amqplib link (socket `noDelay`, one confirm channel). Call `connect()` to
 * start; it reconnects forever with capped, jittered exponential backoff, re-declares queues,
 * re-binds and re-consumes, and emits `connected`, `disconnected` and `reconnected`.
 * @example const link = createAmqpLink({ url: 'amqp://guest:guest@127.0.0.1:5672', connectionName: 'vnfkit-ems host-1' });
 */
export function createAmqpLink(options: AmqpLinkOptions): AmqpLink {
  return new AmqpLinkImpl(options);
}
