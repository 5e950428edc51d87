import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { CONTENT_TYPE, ConfigError, DIRECT_REPLY_TO, TimeoutError, TransportError, amqplibSocket, coalesceWrites, toError } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { backoffDelay, redactSecret, redactUrl, sleep } from '../internal/backoff.js';
import { ChannelSlot, channelCloseReason, isChannelClosed, watchChannel } from '../internal/channel-slot.js';
import { ConsumerRunner } from '../internal/consumer-runner.js';
import { LinkGate } from '../internal/link-gate.js';
import { LinkLostError, PendingRequests, type SendContext } from '../internal/pending-requests.js';
import { BlockState, writeInOrder } from '../internal/publish-flow.js';
import { Topology } from '../internal/topology.js';
import { resolveAmqpOptions, type AmqpTransportOptions, type ResolvedAmqpTransportOptions } from './amqp-options.js';
import { UNROUTABLE_RETRY_MS, withReplyToHeaders } from './transport.js';
import type {
  ConsumeOptions, Consumer, ExchangeOptions, IncomingMessage, MessageHandler, MessageProperties, QueueOptions, QueueState,
  RequestOptions, Transport, TransportEvent,
} from './transport.js';

export { DEFAULT_AMQP_URL, resolveAmqpOptions } from './amqp-options.js';
export type { AmqpTransportOptions, ReconnectOptions, ReplyMode, ResolvedAmqpTransportOptions } from './amqp-options.js';

/**
 * Life-cycle of an {@link AmqpTransport}: `connecting` (first connect) → `open` ⇄ `reconnecting`
 * → `closing` → `closed`.
 */
export type AmqpTransportState = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/** Socket connect timeout of one reconnect attempt (the first connect uses what is left of `connectTimeoutMs`). */
const RECONNECT_SOCKET_TIMEOUT_MS = 10_000;

/**
 * How many reconnect attempts in a row may fail on RESOURCE_LOCKED (the broker still holds the old
 * connection's exclusive queue until it notices that connection is dead, up to a few heartbeats)
 * before the locked item is skipped instead.
 */
const MAX_LOCKED_RETRIES = 20;

/** One broker connection and the channels on it; replaced wholesale on reconnect. */
interface Link {
  readonly id: number;
  readonly connection: ChannelModel;
  /** Confirm channel for publishes and replies. */
  readonly publisher: ChannelSlot<ConfirmChannel>;
  /** Channel for declarations (kept apart so a failed redeclare does not fail publishes in flight). */
  readonly admin: ChannelSlot<Channel>;
  /** Serialises declarations: a failing one closes the admin channel, which must not take others down with it. */
  adminChain: Promise<void>;
  rpc: Promise<RpcChannel> | undefined;
  rpcOpen: RpcChannel | undefined;
  /** Exchanges known to exist on this connection (checked once before the first publish to each). */
  readonly exchangeChecks: Map<string, Promise<void>>;
  /** Whether the broker blocks this connection (resource alarm); pauses publish deadlines. */
  readonly flow: BlockState;
  established: boolean;
  lost: boolean;
}

/** The channel requests are published on; it also consumes the replies (direct reply-to requires that). */
interface RpcChannel {
  readonly channel: ConfirmChannel;
  readonly replyTo: string;
}

interface ConsumerState {
  /** The queue name given to `consume` (a handle for server-named queues). */
  readonly handle: string;
  readonly handler: MessageHandler;
  readonly prefetch: number;
  readonly exclusive: boolean;
  readonly runner: ConsumerRunner;
  link: Link | undefined;
  channel: Channel | undefined;
  tag: string | undefined;
  restarts: number;
  cancelled: boolean;
  cancelling: Promise<void> | undefined;
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
  if (p.deliveryMode === 2) properties.persistent = true;
  if (p.expiration !== undefined && p.expiration !== null && String(p.expiration) !== '') properties.expiration = Number(p.expiration);
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

function queueArguments(options: QueueOptions): Options.AssertQueue {
  const args: Options.AssertQueue = { durable: options.durable ?? false, autoDelete: options.autoDelete ?? false, exclusive: options.exclusive ?? false };
  if (options.expiresMs !== undefined) args.expires = options.expiresMs;
  return args;
}

function exchangeArguments(options: ExchangeOptions): Options.AssertExchange {
  return { durable: options.durable ?? true, autoDelete: options.autoDelete ?? false };
}

/**
 * Publishes on a confirm channel and resolves once the broker acknowledged the message. Writes on one
 * channel go out in call order and wait for amqplib's `drain` when its write buffer is full, so a burst
 * of publishes (or a broker that stopped reading) does not pile up frames in memory. The deadline
 * (`timeoutMs`, then a `TimeoutError`) is paused while the broker blocks the connection (resource
 * alarm): such a publish waits for the alarm to clear instead of failing while it may still be delivered.
 */
function confirmPublish(
  channel: ConfirmChannel,
  target: { exchange: string; routingKey: string; timeoutMs: number; flow: BlockState; payload: Buffer; options: Options.Publish; onWritten?: () => void },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const cancelDeadline = target.flow.deadline(target.timeoutMs, () => {
      if (settled) return;
      settled = true;
      reject(new TimeoutError(`the broker to confirm a publish to ${target.exchange || '(default exchange)'}/${target.routingKey}`, target.timeoutMs));
    });
    const done = (error: unknown): void => {
      cancelDeadline();
      if (settled) return;
      settled = true;
      if (error) reject(toError(error));
      else resolve();
    };
    writeInOrder(channel, {
      stillWanted: () => !settled,
      write: () => {
        const accepted = channel.publish(target.exchange, target.routingKey, target.payload, target.options, done);
        target.onWritten?.();
        return accepted;
      },
    }).catch(done);
  });
}

function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Failures that retrying the first connect will not fix: bad credentials, missing vhost, untrusted certificate. */
function isFatalConnectError(error: unknown): boolean {
  const e = toError(error);
  const code = String((e as { code?: unknown }).code ?? '');
  return /ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(e.message) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

/** The body as a Buffer; a Buffer is used as it is (no copy: a burst of publishes of one payload stays small). */
function toBuffer(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function withDeadline(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true, () => true), deadline]).finally(() => clearTimeout(timer));
}

/**
 * The RabbitMQ transport (amqplib). Publishes go through a confirm channel and resolve on the broker's
 * ack; each consumer has its own channel (so prefetch is per consumer); RPCs use direct reply-to or an
 * exclusive reply queue. A lost connection is re-established with capped, jittered exponential backoff,
 * after which exchanges, queues (server-named ones under new names), bindings and consumers are restored.
 *
 * @example
 * const transport = await createAmqpTransport({ url: 'amqp://guest:guest@localhost:5672', connectionName: 'my-vnfm' });
 * await transport.consume('generic', async (m) => transport.reply(m, 'null'), { prefetch: 5 });
 */
export class AmqpTransport implements Transport {
  private readonly log: Logger;
  private readonly events = new EventEmitter();
  private readonly topology = new Topology();
  private readonly consumers = new Set<ConsumerState>();
  private readonly pending = new PendingRequests();
  private readonly gate = new LinkGate();
  private readonly stopping = new AbortController();
  private link: Link | undefined;
  private links = 0;
  private current: AmqpTransportState = 'connecting';
  private reconnecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lockedRetries = 0;
  /** `lasting-queue` reply mode: the reply queue's name (fixed for the transport's life) once a request used it. */
  private lastingReplyQueue: string | undefined;

  private constructor(
    private readonly options: ResolvedAmqpTransportOptions,
    private readonly ca: Buffer | undefined,
  ) {
    this.log = (options.logger ?? pino({ enabled: false })).child({
      component: 'amqp-transport',
      broker: redactUrl(options.url),
      connectionName: options.connectionName,
    });
  }

  /** Connects (retrying with backoff until `connectTimeoutMs`) and returns the open transport. */
  static async connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const resolved = resolveAmqpOptions(options);
    let ca: Buffer | undefined;
    if (resolved.caFile !== undefined) {
      try {
        ca = await readFile(resolved.caFile);
      } catch (error) {
        throw new ConfigError(`cannot read the broker CA file ${resolved.caFile}: ${toError(error).message}`, { cause: error });
      }
    }
    const transport = new AmqpTransport(resolved, ca);
    try {
      await transport.establish(true);
    } catch (error) {
      transport.current = 'closed';
      transport.gate.shut(new TransportError('transport is closed'));
      throw error;
    }
    transport.onEstablished(false);
    return transport;
  }

  /** Where the transport is in its life-cycle. */
  get state(): AmqpTransportState {
    return this.current;
  }

  // ---------------------------------------------------------------- connection life-cycle

  private async establish(initial: boolean): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.stopping.signal.aborted) throw new TransportError('transport closed while connecting');
      const remaining = this.options.connectTimeoutMs - (Date.now() - started);
      try {
        await this.openLink(initial ? Math.max(1, remaining) : RECONNECT_SOCKET_TIMEOUT_MS);
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) throw new TransportError('transport closed while connecting', { cause: error });
        const message = redactSecret(toError(error).message, this.options.url);
        const delay = backoffDelay(attempt, this.options.reconnect);
        if (initial && isFatalConnectError(error)) {
          throw new TransportError(`cannot connect to ${redactUrl(this.options.url)}: ${message}`, { cause: error });
        }
        if (initial && Date.now() - started + delay >= this.options.connectTimeoutMs) {
          throw new TransportError(`cannot connect to ${redactUrl(this.options.url)} within ${this.options.connectTimeoutMs} ms: ${message}`, { cause: error });
        }
        // Only the first failure of a streak is worth a warning; the retries are expected.
        if (attempt === 0) this.log.warn({ err: message, retryInMs: delay }, initial ? 'cannot reach the broker; retrying' : 'reconnect attempt failed; retrying');
        else this.log.debug({ err: message, attempt, retryInMs: delay }, 'broker still unreachable; retrying');
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  private async openLink(socketTimeoutMs: number): Promise<void> {
    const url = new URL(this.options.url);
    url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds));
    // noDelay: without it Nagle's algorithm adds ~40 ms to every RPC round trip.
    const socketOptions: Record<string, unknown> = {
      noDelay: true,
      timeout: socketTimeoutMs,
      clientProperties: { connection_name: this.options.connectionName },
    };
    if (this.ca) socketOptions['ca'] = [this.ca];
    const connection = await amqp.connect(url.toString(), socketOptions);
    const socket = amqplibSocket(connection);
    if (socket) coalesceWrites(socket);
    const link: Link = {
      id: ++this.links,
      connection,
      publisher: new ChannelSlot({ open: () => connection.createConfirmChannel(), name: 'publish', log: this.log }),
      admin: new ChannelSlot({ open: () => connection.createChannel(), name: 'topology', log: this.log }),
      adminChain: Promise.resolve(),
      rpc: undefined,
      rpcOpen: undefined,
      exchangeChecks: new Map(),
      flow: new BlockState(),
      established: false,
      lost: false,
    };
    connection.on('error', (error: Error) => this.log.warn({ err: redactSecret(error.message, this.options.url) }, 'broker connection error'));
    connection.on('close', (error?: Error) => this.onLinkClosed(link, error));
    connection.on('blocked', (reason: unknown) => {
      link.flow.block();
      this.log.warn({ reason: String(reason) }, 'the broker blocked this connection (resource alarm); publishes wait until it unblocks');
      if (this.link === link) this.emit('blocked');
    });
    connection.on('unblocked', () => {
      link.flow.unblock();
      this.log.info('the broker unblocked this connection');
      if (this.link === link) this.emit('unblocked');
    });
    this.link = link;
    try {
      await this.restoreTopology(link);
      await this.resumeConsumers(link);
      // Requests in flight wait on the lasting reply queue: consume it again before anything else happens.
      if (this.lastingReplyQueue !== undefined) await this.rpcChannel(link);
      if (link.lost) throw new TransportError('connection lost while restoring the topology');
      if (this.stopping.signal.aborted) throw new TransportError('transport closed while connecting');
    } catch (error) {
      link.lost = true;
      if (this.link === link) this.link = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
    link.established = true;
  }

  private onEstablished(reconnect: boolean): void {
    this.current = 'open';
    this.lockedRetries = 0;
    this.gate.open();
    if (reconnect) this.log.info('reconnected to the broker; topology and consumers restored');
    else this.log.info('connected to the broker');
    this.emit('connected');
    if (reconnect) this.emit('reconnected');
    this.pending.resendOrphans();
  }

  private onLinkClosed(link: Link, error: Error | undefined): void {
    if (link.lost) return;
    link.lost = true;
    link.flow.unblock();
    if (this.link !== link) return;
    this.link = undefined;
    if (!link.established) return; // the connect loop sees the failure and retries
    this.gate.down();
    for (const state of this.consumers) state.runner.dropStale();
    // A lasting reply queue keeps the replies sent meanwhile: requests in flight wait for the reconnect.
    if (this.options.replyMode !== 'lasting-queue') this.pending.linkLost('connection lost');
    if (this.current === 'closing' || this.current === 'closed') {
      this.gate.shut(new TransportError('transport is closed'));
      return;
    }
    this.current = 'reconnecting';
    this.log.warn({ err: error ? redactSecret(error.message, this.options.url) : undefined }, 'connection to the broker lost; reconnecting');
    this.emit('disconnected');
    this.reconnecting = this.establish(false).then(
      () => this.onEstablished(true),
      (e: unknown) => this.log.debug({ err: toError(e).message }, 'reconnect loop stopped'),
    );
  }

  private emit(event: TransportEvent): void {
    try {
      this.events.emit(event);
    } catch (error) {
      // A throwing listener must not break the reconnect logic that emitted the event.
      this.log.error({ err: toError(error).message, event }, 'transport event listener threw');
    }
  }

  /** Waits (up to `publishTimeoutMs`) for a usable link. */
  private async linkFor(what: string, signal?: AbortSignal): Promise<Link> {
    if (this.current === 'closed') throw new TransportError(`transport is closed (${what})`);
    await this.gate.wait({ timeoutMs: this.options.publishTimeoutMs, waitedFor: `the broker connection before ${what}`, signal });
    const link = this.link;
    if (!link || link.lost) throw new LinkLostError(`not connected to the broker (${what})`);
    return link;
  }

  private describe(channel: Channel | undefined, error: unknown): string {
    return redactSecret(channelCloseReason(channel)?.message ?? toError(error).message, this.options.url);
  }

  // ---------------------------------------------------------------- topology

  private async restoreTopology(link: Link): Promise<void> {
    for (const ex of this.topology.exchanges.values()) {
      await this.restoreStep(link, `exchange ${ex.name}`, (ch) => ch.assertExchange(ex.name, ex.type, exchangeArguments(ex.options)));
    }
    for (const q of this.topology.queues.values()) {
      await this.restoreStep(link, `queue ${q.handle}`, async (ch) => {
        if (!q.serverNamed) {
          await ch.assertQueue(q.current, queueArguments(q.options));
          return;
        }
        // A non-exclusive server-named queue outlives the connection: keep it (and its messages) when it is still there.
        if (!q.options.exclusive && (await this.queueExists(link, q.current))) return;
        const ok = await ch.assertQueue('', queueArguments(q.options));
        this.log.debug({ handle: q.handle, queue: ok.queue }, 'server-named queue re-declared under a new name');
        this.topology.rename(q.handle, ok.queue);
      });
    }
    for (const b of this.topology.bindings) {
      await this.restoreStep(link, `binding ${b.queue} → ${b.exchange}`, (ch) => ch.bindQueue(this.topology.resolve(b.queue), b.exchange, b.routingKey));
    }
  }

  private async restoreStep(link: Link, what: string, step: (channel: Channel) => Promise<unknown>): Promise<void> {
    let channel: Channel | undefined;
    try {
      channel = await link.admin.get();
      await step(channel);
    } catch (error) {
      if (link.lost || this.retryLocked(error)) throw error;
      this.log.error({ what, err: this.describe(channel, error) }, 'restoring the topology after a reconnect failed for one item; skipped');
    }
  }

  /** 405 RESOURCE_LOCKED: the broker still holds the old connection's exclusive queue; retry the reconnect later (a bounded number of times). */
  private retryLocked(error: unknown): boolean {
    if (amqpCode(error) !== 405 || this.lockedRetries >= MAX_LOCKED_RETRIES) return false;
    this.lockedRetries += 1;
    return true;
  }

  private async queueExists(link: Link, name: string): Promise<boolean> {
    return (await this.checkQueue(link, name)) !== undefined;
  }

  private async checkQueue(link: Link, name: string): Promise<QueueState | undefined> {
    // A passive declare of a missing queue closes its channel, so it gets a throwaway one.
    const channel = await link.connection.createChannel();
    watchChannel(channel, { name: 'check', log: this.log.child({}, { level: 'silent' }) });
    try {
      const ok = await channel.checkQueue(name);
      return { messages: ok.messageCount, consumers: ok.consumerCount };
    } catch (error) {
      if (amqpCode(error) === 404) return undefined;
      throw error;
    } finally {
      if (!isChannelClosed(channel)) await channel.close().catch(() => undefined);
    }
  }

  async inspectQueue(name: string): Promise<QueueState | undefined> {
    return this.onLink(`inspecting queue ${name}`, (link) => this.checkQueue(link, this.topology.resolve(name)));
  }

  private adminOp<T>(what: string, op: (channel: Channel) => Promise<T>): Promise<T> {
    return this.onLink(what, (link, used) => {
      const task = async (): Promise<T> => op(used(await link.admin.get()));
      const result = link.adminChain.then(task, task);
      link.adminChain = result.then(() => undefined, () => undefined);
      return result;
    });
  }

  /**
   * Runs an idempotent broker operation (a declaration, a passive check) on the current connection, again on the
   * next one when the connection dropped mid-way; `used` records the channel for the error message.
   */
  private async onLink<T>(what: string, op: (link: Link, used: (channel: Channel) => Channel) => Promise<T>): Promise<T> {
    for (;;) {
      let link: Link;
      try {
        link = await this.linkFor(what);
      } catch (error) {
        if (error instanceof LinkLostError) continue;
        throw error;
      }
      let channel: Channel | undefined;
      try {
        return await op(link, (c) => (channel = c));
      } catch (error) {
        if (link.lost && !this.stopping.signal.aborted) continue;
        throw new TransportError(`${what} failed: ${this.describe(channel, error)}`, { cause: error });
      }
    }
  }

  /**
   * Publishing to a missing exchange makes the broker close the channel, failing every other publish and
   * (for the RPC channel) every reply in flight on it. A passive check on the admin channel, once per
   * exchange and connection, turns that into an error for the one publish that deserves it.
   */
  private exchangeExists(link: Link, exchange: string): Promise<void> {
    if (exchange === '' || this.topology.exchanges.has(exchange)) return Promise.resolve();
    let check = link.exchangeChecks.get(exchange);
    if (!check) {
      const task = async (): Promise<void> => {
        const channel = await link.admin.get();
        try {
          await channel.checkExchange(exchange);
        } catch (error) {
          // Only a definite "no such exchange" stops the publish; anything else (e.g. no permission for a
          // passive declare) is left to the publish itself.
          if (amqpCode(error) === 404) throw error;
        }
      };
      check = link.adminChain.then(task, task);
      link.adminChain = check.then(() => undefined, () => undefined);
      void check.catch(() => link.exchangeChecks.delete(exchange));
      link.exchangeChecks.set(exchange, check);
    }
    return check;
  }

  async declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): Promise<void> {
    await this.adminOp(`declaring exchange ${name}`, (ch) => ch.assertExchange(name, type, exchangeArguments(options)));
    this.topology.addExchange({ name, type, options: { ...options } });
  }

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    const ok = await this.adminOp(`declaring queue ${name || '(server-named)'}`, (ch) => ch.assertQueue(name === '' ? '' : this.topology.resolve(name), queueArguments(options)));
    this.topology.addQueue(name, ok.queue, { ...options });
    return ok.queue;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.adminOp(`binding queue ${queue} to ${exchange || '(default)'} with ${routingKey}`, (ch) => ch.bindQueue(this.topology.resolve(queue), exchange, routingKey));
    this.topology.addBinding(queue, exchange, routingKey);
  }

  async deleteQueue(name: string): Promise<void> {
    await this.adminOp(`deleting queue ${name}`, (ch) => ch.deleteQueue(this.topology.resolve(name)));
    this.topology.removeQueue(name);
  }

  // ---------------------------------------------------------------- publish

  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const what = `publishing to ${exchange || '(default exchange)'} with routing key ${routingKey}`;
    const payload = toBuffer(body);
    let link: Link;
    try {
      link = await this.linkFor(what);
    } catch (error) {
      if (error instanceof LinkLostError) throw new TransportError(`connection lost before ${what}`, { cause: error });
      throw error;
    }
    let channel: ConfirmChannel | undefined;
    try {
      channel = await link.publisher.get();
      const key = exchange === '' ? this.topology.resolve(routingKey) : routingKey;
      await this.exchangeExists(link, exchange);
      await confirmPublish(channel, { exchange, routingKey: key, timeoutMs: this.options.publishTimeoutMs, flow: link.flow, payload, options: publishOptions(properties) });
    } catch (error) {
      if (link.lost) throw new TransportError(`connection lost before the broker confirmed ${what}`, { cause: error });
      if (error instanceof TimeoutError) throw error;
      link.exchangeChecks.clear();
      throw new TransportError(`${what} failed: ${this.describe(channel, error)}`, { cause: error });
    }
  }

  async reply(request: IncomingMessage, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const replyTo = request.properties.replyTo;
    if (!replyTo) throw new TransportError(`cannot reply to a message from ${request.routingKey || '(default exchange)'}: it has no reply_to`);
    const p: MessageProperties = { ...properties };
    if (request.properties.correlationId) p.correlationId = request.properties.correlationId;
    await this.publish('', replyTo, body, p);
  }

  // ---------------------------------------------------------------- consume

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const prefetch = options.prefetch ?? 1;
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new ConfigError(`consume option prefetch must be a positive integer, got ${String(options.prefetch)}`);
    const concurrency = Math.min(options.concurrency ?? prefetch, prefetch);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`consume option concurrency must be a positive integer, got ${String(options.concurrency)}`);
    if (this.current === 'closing' || this.current === 'closed') throw new TransportError(`transport is ${this.current} (consuming ${queue})`);
    const handle = this.topology.handleOf(queue) ?? queue;
    const state: ConsumerState = {
      handle,
      handler,
      prefetch,
      exclusive: options.exclusive ?? false,
      runner: new ConsumerRunner({ handler, concurrency, log: this.log.child({ queue: handle }) }),
      link: undefined,
      channel: undefined,
      tag: undefined,
      restarts: 0,
      cancelled: false,
      cancelling: undefined,
    };
    this.consumers.add(state);
    try {
      for (;;) {
        let link: Link;
        try {
          link = await this.linkFor(`consuming ${queue}`);
        } catch (error) {
          if (error instanceof LinkLostError) continue;
          throw error;
        }
        if (state.link === link) break; // the reconnect resumed it meanwhile
        try {
          await this.startConsumer(state, link);
          break;
        } catch (error) {
          if (link.lost && !this.stopping.signal.aborted) continue;
          throw new TransportError(`consuming ${queue} failed: ${this.describe(undefined, error)}`, { cause: error });
        }
      }
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

  private async resumeConsumers(link: Link): Promise<void> {
    for (const state of this.consumers) {
      if (state.cancelled) continue;
      try {
        await this.startConsumer(state, link);
      } catch (error) {
        if (link.lost || this.retryLocked(error)) throw error;
        this.log.error({ queue: state.handle, err: this.describe(undefined, error) }, 'resuming a consumer after a reconnect failed; retried after the next one');
      }
    }
  }

  private async startConsumer(state: ConsumerState, link: Link): Promise<void> {
    if (state.link === link && state.channel && !isChannelClosed(state.channel)) return;
    const channel = await link.connection.createChannel();
    watchChannel(channel, { name: `consumer ${state.handle}`, log: this.log, onClose: () => this.onConsumerChannelClosed(state, channel, link) });
    try {
      // Per-consumer prefetch (global=false): the broker pushes at most this many unacked deliveries.
      await channel.prefetch(state.prefetch, false);
      const ok = await channel.consume(this.topology.resolve(state.handle), (msg) => this.onDelivery(state, channel, msg), { exclusive: state.exclusive, noAck: false });
      if (state.cancelled) {
        await channel.close().catch(() => undefined);
        return;
      }
      state.channel = channel;
      state.tag = ok.consumerTag;
      state.link = link;
    } catch (error) {
      if (!isChannelClosed(channel)) await channel.close().catch(() => undefined);
      throw error;
    }
  }

  private onDelivery(state: ConsumerState, channel: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer, e.g. because its queue was deleted; resumed after the next reconnect.
      this.log.warn({ queue: state.handle }, 'the broker cancelled a consumer (queue deleted?)');
      if (state.channel === channel) {
        state.channel = undefined;
        state.tag = undefined;
        state.link = undefined;
      }
      void channel.close().catch(() => undefined);
      return;
    }
    state.runner.push({
      message: toIncoming(msg),
      ack: () => channel.ack(msg),
      nack: (requeue) => channel.nack(msg, false, requeue),
      stale: () => isChannelClosed(channel),
    });
  }

  private onConsumerChannelClosed(state: ConsumerState, channel: Channel, link: Link): void {
    state.runner.dropStale();
    if (state.channel !== channel) return;
    state.channel = undefined;
    state.tag = undefined;
    state.link = undefined;
    // Only a channel the broker closed on its own is re-opened here; a lost connection is the reconnect's job.
    if (!channelCloseReason(channel) || state.cancelled || link.lost || this.link !== link || this.stopping.signal.aborted) return;
    const delay = backoffDelay(state.restarts++, this.options.reconnect);
    this.log.warn({ queue: state.handle, retryInMs: delay }, 'consumer channel closed by the broker; re-opening it');
    void sleep(delay, this.stopping.signal)
      .then(() => (state.cancelled || link.lost ? undefined : this.startConsumer(state, link)))
      .then(
        () => {
          state.restarts = 0;
        },
        (error: unknown) => this.log.error({ queue: state.handle, err: this.describe(undefined, error) }, 'cannot re-open a consumer channel; retried after the next reconnect'),
      );
  }

  private cancelConsumer(state: ConsumerState): Promise<void> {
    state.cancelling ??= (async () => {
      state.cancelled = true;
      const { channel, tag } = state;
      if (channel && tag && !isChannelClosed(channel)) await channel.cancel(tag).catch(() => undefined);
      // Deliveries not yet handed to the handler go back to the queue (redelivered=true for the next consumer).
      state.runner.stop();
      if (!(await withDeadline(state.runner.idle(), this.options.closeTimeoutMs))) {
        this.log.warn({ queue: state.handle, running: state.runner.running, waitedMs: this.options.closeTimeoutMs }, 'handlers still running after the close timeout; their messages will be redelivered');
      }
      this.consumers.delete(state);
      state.channel = undefined;
      state.link = undefined;
      if (channel && !isChannelClosed(channel)) await channel.close().catch(() => undefined);
    })();
    return state.cancelling;
  }

  // ---------------------------------------------------------------- RPC

  resendRequest(correlationId: string): boolean {
    return this.pending.resend(correlationId);
  }

  async request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs)) throw new ConfigError(`request option timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
    if (this.current === 'closed') throw new TransportError('transport is closed');
    const waitedFor = options.waitedFor ?? `a reply from ${routingKey}`;
    const payload = toBuffer(body);
    const pendingOptions = { timeoutMs: options.timeoutMs, waitedFor, idempotent: options.idempotent, signal: options.signal };
    const input = { exchange, routingKey, payload, headers: options.headers, headersForReplyTo: options.headersForReplyTo, waitedFor, mandatory: options.retryUnroutable === true, persistent: options.persistent === true };
    if (options.withoutCorrelationId === true) {
      // The bookkeeping needs a key; it never goes on the wire.
      const key = randomUUID();
      return this.pending.start(key, { options: pendingOptions, send: (context) => this.sendOnOwnChannel({ ...input, key }, context) });
    }
    const correlationId = options.correlationId ?? randomUUID();
    return this.pending.start(correlationId, { options: pendingOptions, send: (context) => this.sendRequest({ ...input, correlationId }, context) });
  }

  /**
   * A request without a correlation id, the Spring AMQP 1.7 way: a channel of its own consumes a fresh direct
   * reply-to address (the broker makes one per consume), so the first message there is the reply. The channel
   * closes when the request settles or this attempt is superseded (an unroutable re-send opens a new one).
   */
  private async sendOnOwnChannel(
    input: { exchange: string; routingKey: string; payload: Buffer; key: string; headers: Record<string, unknown> | undefined; headersForReplyTo: ((replyTo: string) => Record<string, unknown>) | undefined; waitedFor: string; mandatory: boolean; persistent: boolean },
    context: SendContext,
  ): Promise<void> {
    const what = `sending the request for ${input.waitedFor}`;
    let link: Link;
    for (;;) {
      try {
        link = await this.linkFor(what, context.signal);
        break;
      } catch (error) {
        if (!(error instanceof LinkLostError)) throw error;
      }
    }
    try {
      await this.exchangeExists(link, input.exchange);
    } catch (error) {
      if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
      throw new TransportError(`${what} failed: ${this.describe(undefined, error)}`, { cause: error });
    }
    if (context.signal.aborted) return;
    let channel: ConfirmChannel;
    try {
      channel = await link.connection.createConfirmChannel();
    } catch (error) {
      if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
      throw new TransportError(`opening a reply channel failed (${what}): ${this.describe(undefined, error)}`, { cause: error });
    }
    const closeChannel = (): void => {
      if (!isChannelClosed(channel)) void channel.close().catch(() => undefined);
    };
    context.signal.addEventListener('abort', closeChannel, { once: true });
    channel.on('error', () => undefined); // the close event below reports it
    channel.on('close', () => {
      // Closed by the broker or with the connection while the request waits: its reply can no longer arrive.
      if (!context.signal.aborted) this.pending.linkLost(link.lost ? 'connection lost' : 'the reply channel closed', channel);
    });
    channel.on('return', () => {
      if (this.pending.unroutable(input.key) === 1) this.log.info({ routingKey: input.routingKey }, `no queue took the request (yet); sending it again every ${UNROUTABLE_RETRY_MS} ms until one does or it times out`);
    });
    try {
      await channel.consume(DIRECT_REPLY_TO, (msg) => {
        if (msg !== null && !this.pending.settle(input.key, toIncoming(msg))) this.log.debug('late reply to a request without correlation id dropped');
      }, { noAck: true });
      if (context.signal.aborted) return closeChannel();
      context.sentOn(channel);
      const properties: MessageProperties = { replyTo: DIRECT_REPLY_TO };
      const headers = withReplyToHeaders(input, properties.replyTo ?? '');
    if (headers) properties.headers = headers;
      if (input.persistent) properties.persistent = true;
      const key = input.exchange === '' ? this.topology.resolve(input.routingKey) : input.routingKey;
      await confirmPublish(channel, {
        exchange: input.exchange, routingKey: key, timeoutMs: this.options.publishTimeoutMs, flow: link.flow, payload: input.payload,
        options: { ...publishOptions(properties), ...(input.mandatory ? { mandatory: true } : {}) },
      });
    } catch (error) {
      closeChannel();
      if (link.lost) throw new LinkLostError(`connection lost before the broker accepted the request for ${input.waitedFor}`, { cause: error });
      throw new TransportError(`${what} failed: ${this.describe(channel, error)}`, { cause: error });
    }
  }

  private async sendRequest(
    input: { exchange: string; routingKey: string; payload: Buffer; correlationId: string; headers: Record<string, unknown> | undefined; headersForReplyTo: ((replyTo: string) => Record<string, unknown>) | undefined; waitedFor: string; mandatory: boolean; persistent: boolean },
    context: SendContext,
  ): Promise<void> {
    const what = `sending the request for ${input.waitedFor}`;
    const lasting = this.options.replyMode === 'lasting-queue';
    for (;;) {
      let link: Link;
      try {
        link = await this.linkFor(what, context.signal);
      } catch (error) {
        if (error instanceof LinkLostError) continue;
        throw error;
      }
      let rpc: RpcChannel;
      try {
        rpc = await this.rpcChannel(link);
      } catch (error) {
        // Nothing was sent yet, so even a non-idempotent request can wait for the next connection.
        if (link.lost && !this.stopping.signal.aborted) continue;
        throw new TransportError(`opening the reply channel failed (${what}): ${this.describe(undefined, error)}`, { cause: error });
      }
      try {
        await this.exchangeExists(link, input.exchange);
      } catch (error) {
        if (link.lost && lasting && !this.stopping.signal.aborted) continue;
        if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
        throw new TransportError(`${what} failed: ${this.describe(undefined, error)}`, { cause: error });
      }
      if (context.signal.aborted) return;
      context.sentOn(rpc.channel);
      const properties: MessageProperties = { correlationId: input.correlationId, replyTo: rpc.replyTo };
      const headers = withReplyToHeaders(input, properties.replyTo ?? '');
    if (headers) properties.headers = headers;
      if (input.persistent) properties.persistent = true;
      const key = input.exchange === '' ? this.topology.resolve(input.routingKey) : input.routingKey;
      let written = false;
      try {
        await confirmPublish(rpc.channel, {
          exchange: input.exchange, routingKey: key, timeoutMs: this.options.publishTimeoutMs, flow: link.flow, payload: input.payload,
          options: { ...publishOptions(properties), ...(input.mandatory ? { mandatory: true } : {}) }, onWritten: () => {
            written = true;
          },
        });
        return;
      } catch (error) {
        link.exchangeChecks.clear();
        const gone = link.lost || isChannelClosed(rpc.channel);
        if (gone && lasting && !this.stopping.signal.aborted) {
          // Never written: send it on the next connection. Written but unconfirmed: the broker may have
          // taken it, and then the reply lands in the lasting queue; sending it again could run it twice,
          // so the request just keeps waiting (until its own deadline).
          if (!written) continue;
          this.log.warn({ waitedFor: input.waitedFor }, 'connection lost before the broker confirmed a request; waiting for its reply on the lasting reply queue');
          return;
        }
        if (link.lost) throw new LinkLostError(`connection lost before the broker accepted the request for ${input.waitedFor}`, { cause: error });
        throw new TransportError(`${what} failed: ${this.describe(rpc.channel, error)}`, { cause: error });
      }
    }
  }

  private rpcChannel(link: Link): Promise<RpcChannel> {
    link.rpc ??= this.openRpc(link).catch((error: unknown) => {
      link.rpc = undefined;
      throw error;
    });
    return link.rpc;
  }

  /** The lasting reply queue's name: `vnfkit.reply.<connection name>.<uuid>`, fixed for this transport. */
  private lastingQueueName(): string {
    this.lastingReplyQueue ??= `vnfkit.reply.${this.options.connectionName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 100)}.${randomUUID()}`;
    return this.lastingReplyQueue;
  }

  private async openRpc(link: Link): Promise<RpcChannel> {
    const channel = await link.connection.createConfirmChannel();
    watchChannel(channel, { name: 'rpc', log: this.log, onClose: () => this.onRpcChannelClosed(link, channel) });
    let replyTo: string = DIRECT_REPLY_TO;
    let noAck = true;
    if (this.options.replyMode === 'queue') {
      replyTo = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    } else if (this.options.replyMode === 'lasting-queue') {
      // Not exclusive, not auto-delete: it outlives this connection, so replies sent while we reconnect wait in it.
      replyTo = this.lastingQueueName();
      // Durable, so that it also outlives a broker restart: a reply published after the restart is routed even
      // before this transport has reconnected (the replies are not persistent, so nothing goes to disk).
      await channel.assertQueue(replyTo, { durable: true, autoDelete: false, exclusive: false, expires: this.options.replyQueueExpiresMs });
      noAck = false;
    }
    // A `mandatory` request (retryUnroutable) that no queue took comes back here; it is sent again shortly.
    channel.on('return', (msg: ConsumeMessage) => {
      const id = typeof msg.properties.correlationId === 'string' ? msg.properties.correlationId : undefined;
      const returns = this.pending.unroutable(id);
      // Once per request at info (an agent reconnecting, or a VM that is gone), then quiet.
      if (returns === 1) this.log.info({ correlationId: id, routingKey: msg.fields.routingKey }, `no queue took the request (yet); sending it again every ${UNROUTABLE_RETRY_MS} ms until one does or it times out`);
    });
    // Direct reply-to: the consumer must be on the channel the requests are published on, with noAck.
    await channel.consume(replyTo, (msg) => this.onReply(msg, noAck ? undefined : channel), { noAck });
    if (isChannelClosed(channel)) throw new TransportError('the reply channel closed while opening');
    link.rpcOpen = { channel, replyTo };
    return link.rpcOpen;
  }

  private onRpcChannelClosed(link: Link, channel: Channel): void {
    if (link.rpcOpen?.channel === channel) {
      link.rpcOpen = undefined;
      link.rpc = undefined;
    }
    const reason = channelCloseReason(channel);
    // Closed with the connection: onLinkClosed fails or keeps the requests. Closed by us: nothing pending.
    if (!reason || link.lost || this.link !== link) return;
    if (this.options.replyMode === 'lasting-queue') {
      // The replies still arrive in the lasting queue: consume it again on a new channel.
      void this.rpcChannel(link).catch((error: unknown) => this.log.error({ err: this.describe(undefined, error) }, 'cannot re-open the reply channel; retried with the next request or reconnect'));
      return;
    }
    // The broker closed only this channel (e.g. a request to a missing exchange): replies to it can no longer arrive.
    this.pending.linkLost(`the reply channel closed (${this.describe(channel, reason)})`, channel);
    this.pending.resendOrphans();
  }

  private onReply(msg: ConsumeMessage | null, ackOn: Channel | undefined): void {
    if (msg === null) {
      // While closing, that is the lasting reply queue being deleted on purpose.
      if (this.current !== 'closing') this.log.warn('the broker cancelled the reply consumer');
      return;
    }
    const id = msg.properties.correlationId ? String(msg.properties.correlationId) : undefined;
    if (!this.pending.settle(id, toIncoming(msg))) this.log.debug({ correlationId: id }, 'late or unknown reply dropped');
    if (ackOn) {
      try {
        ackOn.ack(msg);
      } catch {
        /* channel gone: the reply is redelivered and then dropped as late */
      }
    }
  }

  // ---------------------------------------------------------------- events and close

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
    this.events.on(event, listener);
    return this;
  }

  /** Unsubscribes from `connected`. */
  off(event: 'connected', listener: () => void): this;
  /** Unsubscribes from `disconnected`. */
  off(event: 'disconnected', listener: () => void): this;
  /** Unsubscribes from `reconnected`. */
  off(event: 'reconnected', listener: () => void): this;
  /** Unsubscribes from `blocked`. */
  off(event: 'blocked', listener: () => void): this;
  /** Unsubscribes from `unblocked`. */
  off(event: 'unblocked', listener: () => void): this;
  /** Unsubscribes from a connection life-cycle event. */
  off(event: TransportEvent, listener: () => void): this;
  off(event: TransportEvent, listener: () => void): this {
    this.events.off(event, listener);
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
    if (this.current === 'closed') return;
    this.current = 'closing';
    this.stopping.abort();
    // Without a link nothing can be published any more: fail waiters now instead of at the deadline.
    if (!this.link?.established) this.gate.shut(new TransportError('transport is closed'));
    this.log.debug('closing');
    await Promise.all([...this.consumers].map((state) => this.cancelConsumer(state)));
    this.gate.shut(new TransportError('transport is closed'));
    this.pending.failAll('transport closed');
    const link = this.link;
    if (link?.established && this.lastingReplyQueue !== undefined) {
      const queue = this.lastingReplyQueue;
      await withDeadline(link.admin.get().then((channel) => channel.deleteQueue(queue)), Math.min(5_000, this.options.closeTimeoutMs));
    }
    this.link = undefined;
    if (link) {
      link.lost = true;
      await link.publisher.close();
      if (!(await withDeadline(link.connection.close(), this.options.closeTimeoutMs))) {
        (link.connection as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }
    }
    await this.reconnecting;
    this.current = 'closed';
    this.log.info('broker connection closed');
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
