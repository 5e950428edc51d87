import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { TransportError, toError } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import { backoffDelay } from '../internal/backoff.js';
import { ChannelSlot, channelCloseReason } from '../internal/channel-slot.js';
import { sleep } from '../internal/deadline.js';
import { LinkGate } from '../internal/link-gate.js';
import { LinkLostError } from '../internal/pending-requests.js';
import { BlockState } from '../internal/publish-flow.js';
import { redactSecret, redactUrl } from '../redact.js';
import type { TransportEvent } from '../transport.js';
import type { ResolvedAmqpTransportOptions } from './options.js';
import { amqplibSocket, coalesceWrites } from './socket.js';
import { amqpCode, isFatalConnectError } from './wire.js';

/**
 * Life-cycle of an {@link AmqpTransport}: `idle` (created, not started: declarations and consumers are
 * recorded) → `connecting` (first connect) → `open` ⇄ `reconnecting` → `closing` → `closed`.
 */
export type AmqpTransportState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/** Socket connect timeout of one reconnect attempt (the first connect uses what is left of `connectTimeoutMs`). */
const RECONNECT_SOCKET_TIMEOUT_MS = 10_000;

/**
 * How many reconnect attempts in a row may fail on RESOURCE_LOCKED (the broker still holds the old
 * connection's exclusive queue until it notices that connection is dead, up to a few heartbeats)
 * before the locked item is skipped instead.
 */
const MAX_LOCKED_RETRIES = 20;

/** The channel requests are published on; it also consumes the replies (direct reply-to requires that). */
export interface RpcChannel {
  readonly channel: ConfirmChannel;
  readonly replyTo: string;
}

/** One broker connection and the channels on it; replaced wholesale on reconnect. In this package "link" means this. */
export interface Link {
  readonly id: number;
  readonly connection: ChannelModel;
  /** The broker URL (of `urls`) this connection went to. */
  readonly url: string;
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

/** What the transport's other parts do when a connection comes and goes. */
export interface ConnectionHooks {
  /** Restores topology, consumers and the reply consumer on a new connection; throwing fails the attempt. */
  restore(link: Link): Promise<void>;
  /** An established connection dropped (the reconnect has not started yet). */
  lost(link: Link): void;
  /** A connection is up and restored. */
  established(reconnect: boolean): void;
}

/**
 * Connection and reconnect: connects (to each of `urls` in turn), applies the hooks' restore, retries with
 * capped, jittered exponential backoff, and lets operations wait for a usable connection through a gate.
 */
export class ConnectionKeeper {
  link: Link | undefined;
  state: AmqpTransportState = 'idle';
  readonly gate = new LinkGate();
  readonly stopping = new AbortController();
  private readonly events = new EventEmitter();
  private links = 0;
  private everEstablished = false;
  /** Index in `urls` of the next connect attempt. */
  private nextUrl = 0;
  private reconnecting: Promise<void> | undefined;
  private lockedRetries = 0;

  constructor(
    readonly options: ResolvedAmqpTransportOptions,
    private readonly ca: Buffer | undefined,
    readonly log: Logger,
    private readonly hooks: ConnectionHooks,
  ) {}

  /** Connects, retrying with backoff up to `connectTimeoutMs`; throws a `TransportError` after that or on a fatal error. */
  async connectFirst(): Promise<void> {
    this.state = 'connecting';
    try {
      await this.establish(true);
    } catch (error) {
      this.state = 'closed';
      this.gate.shut(new TransportError('transport is closed'));
      throw error;
    }
    this.onEstablished();
  }

  /** Starts connecting in the background and keeps retrying (any error) until connected or closed. */
  connectInBackground(): void {
    this.state = 'connecting';
    this.reconnecting = this.establish(false).then(
      () => this.onEstablished(),
      (e: unknown) => this.log.debug({ err: toError(e).message }, 'connect loop stopped'),
    );
  }

  private async establish(initial: boolean): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.stopping.signal.aborted) throw new TransportError('transport closed while connecting');
      const remaining = this.options.connectTimeoutMs - (Date.now() - started);
      const url = this.options.urls[this.nextUrl % this.options.urls.length] ?? this.options.url;
      try {
        await this.openLink(url, initial ? Math.max(1, remaining) : RECONNECT_SOCKET_TIMEOUT_MS);
        return;
      } catch (error) {
        this.nextUrl += 1;
        if (this.stopping.signal.aborted) throw new TransportError('transport closed while connecting', { cause: error });
        const message = redactSecret(toError(error).message, url);
        const delay = this.retryDelay(attempt);
        if (initial && isFatalConnectError(error)) {
          throw new TransportError(`cannot connect to ${redactUrl(url)}: ${message}`, { cause: error });
        }
        if (initial && Date.now() - started + delay >= this.options.connectTimeoutMs) {
          throw new TransportError(
            `cannot connect to ${this.options.urls.map(redactUrl).join(', ')} within ${this.options.connectTimeoutMs} ms: ${message}`,
            { cause: error },
          );
        }
        // Only the first failure of a streak is worth a warning; the retries are expected.
        if (attempt === 0)
          this.log.warn(
            { err: message, broker: redactUrl(url), retryInMs: delay },
            initial || !this.everEstablished ? 'cannot reach the broker; retrying' : 'reconnect attempt failed; retrying',
          );
        else this.log.debug({ err: message, broker: redactUrl(url), attempt, retryInMs: delay }, 'broker still unreachable; retrying');
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  /** Backoff before the next attempt; with several URLs, each address of a round is tried at once. */
  private retryDelay(attempt: number): number {
    const count = this.options.urls.length;
    if (count > 1 && (attempt + 1) % count !== 0) return 0;
    return backoffDelay(Math.floor(attempt / count), this.options.reconnect);
  }

  private async openLink(url: string, socketTimeoutMs: number): Promise<void> {
    const target = new URL(url);
    target.searchParams.set('heartbeat', String(this.options.heartbeatSeconds));
    // noDelay: without it Nagle's algorithm adds ~40 ms to every RPC round trip.
    const socketOptions: Record<string, unknown> = {
      noDelay: true,
      timeout: socketTimeoutMs,
      clientProperties: { connection_name: this.options.connectionName },
    };
    if (this.ca) socketOptions['ca'] = [this.ca];
    const connection = await amqp.connect(target.toString(), socketOptions);
    const socket = amqplibSocket(connection);
    if (socket) coalesceWrites(socket);
    const publisher = new ChannelSlot({ open: () => connection.createConfirmChannel(), name: 'publish', log: this.log });
    const link: Link = {
      id: ++this.links,
      connection,
      url,
      publisher,
      // `oneChannel`: declarations on the publish channel too (the consumers join it: consumers.ts).
      admin: this.options.oneChannel
        ? publisher
        : new ChannelSlot({ open: () => connection.createChannel(), name: 'topology', log: this.log }),
      adminChain: Promise.resolve(),
      rpc: undefined,
      rpcOpen: undefined,
      exchangeChecks: new Map(),
      flow: new BlockState(),
      established: false,
      lost: false,
    };
    connection.on('error', (error: Error) => this.log.warn({ err: redactSecret(error.message, url) }, 'broker connection error'));
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
      await this.hooks.restore(link);
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

  private onEstablished(): void {
    const reconnect = this.everEstablished;
    this.everEstablished = true;
    this.state = 'open';
    this.lockedRetries = 0;
    this.gate.open();
    const broker = this.link ? redactUrl(this.link.url) : undefined;
    if (reconnect) this.log.info({ broker, restored: 'topology and consumers' }, 'reconnected to the broker');
    else this.log.info({ broker }, 'connected to the broker');
    this.emit('connected');
    if (reconnect) this.emit('reconnected');
    this.hooks.established(reconnect);
  }

  private onLinkClosed(link: Link, error: Error | undefined): void {
    if (link.lost) return;
    link.lost = true;
    link.flow.unblock();
    if (this.link !== link) return;
    this.link = undefined;
    if (!link.established) return; // the connect loop sees the failure and retries
    this.gate.down();
    this.hooks.lost(link);
    if (this.state === 'closing' || this.state === 'closed') {
      this.gate.shut(new TransportError('transport is closed'));
      return;
    }
    this.state = 'reconnecting';
    // The node that went away is likely down: start with the next address.
    this.nextUrl = (this.options.urls.indexOf(link.url) + 1) % this.options.urls.length;
    this.log.warn(
      { err: error ? redactSecret(error.message, link.url) : undefined, broker: redactUrl(link.url) },
      'connection to the broker lost; reconnecting',
    );
    this.emit('disconnected');
    this.reconnecting = this.establish(false).then(
      () => this.onEstablished(),
      (e: unknown) => this.log.debug({ err: toError(e).message }, 'reconnect loop stopped'),
    );
  }

  emit(event: TransportEvent): void {
    try {
      this.events.emit(event);
    } catch (error) {
      // A throwing listener must not break the reconnect logic that emitted the event.
      this.log.error({ err: toError(error).message, event }, 'transport event listener threw');
    }
  }

  on(event: TransportEvent, listener: () => void): void {
    this.events.on(event, listener);
  }

  off(event: TransportEvent, listener: () => void): void {
    this.events.off(event, listener);
  }

  /** True while the transport is `idle`: declarations and consumers are recorded and applied on the first connection. */
  get deferring(): boolean {
    return this.state === 'idle';
  }

  /** Waits (up to `publishTimeoutMs`) for a usable link. */
  async linkFor(what: string, signal?: AbortSignal): Promise<Link> {
    if (this.state === 'closed') throw new TransportError(`transport is closed (${what})`);
    if (this.state === 'idle') throw new TransportError(`not connected to the broker: the transport was not started (${what})`);
    await this.gate.wait({ timeoutMs: this.options.publishTimeoutMs, waitedFor: `the broker connection before ${what}`, signal });
    const link = this.link;
    if (!link || link.lost) throw new LinkLostError(`not connected to the broker (${what})`);
    return link;
  }

  /** The broker's reason a channel closed, else the error's message; passwords removed. */
  describe(channel: Channel | undefined, error: unknown): string {
    return redactSecret(channelCloseReason(channel)?.message ?? toError(error).message, this.options.url);
  }

  /**
   * Runs an idempotent broker operation (a declaration, a passive check) on the current connection, again on the
   * next one when the connection dropped mid-way; `used` records the channel for the error message.
   */
  async onLink<T>(what: string, op: (link: Link, used: (channel: Channel) => Channel) => Promise<T>): Promise<T> {
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
   * Whether a restore step's failure should fail the whole connect attempt: a lost connection, 405
   * RESOURCE_LOCKED (the broker still holds the old connection's exclusive queue; retried a bounded
   * number of times), or any failure when `strictRestore` is set.
   */
  failsAttempt(link: Link, error: unknown): boolean {
    if (link.lost || this.options.strictRestore) return true;
    if (amqpCode(error) !== 405 || this.lockedRetries >= MAX_LOCKED_RETRIES) return false;
    this.lockedRetries += 1;
    return true;
  }

  /** Stops reconnecting; the caller closes the link. Resolves once a running connect loop has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.reconnecting;
  }
}
