import { randomUUID } from 'node:crypto';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { ConfigError, DIRECT_REPLY_TO, TransportError } from '@vnfkit/protocol';
import { channelCloseReason, isChannelClosed, watchChannel } from '../internal/channel-slot.js';
import { LinkLostError, PendingRequests, type SendContext } from '../internal/pending-requests.js';
import type { IncomingMessage, MessageProperties, RequestOptions } from '../transport.js';
import { UNROUTABLE_RETRY_MS, withReplyToHeaders } from '../transport.js';
import { confirmPublish } from './confirm.js';
import type { ConnectionKeeper, Link, RpcChannel } from './connection.js';
import type { TopologyOps } from './topology-ops.js';
import { publishOptions, queueArguments, toBuffer, toIncoming } from './wire.js';

/**
 * Idle reply channels kept per connection for requests without a correlation id: Spring's default channel cache
 * size (spring-amqp 1.7.7 `CachingConnectionFactory.java:101`).
 */
const REPLY_CHANNEL_CACHE = 25;

/** A cached reply channel and the request using it (none while idle). */
interface ReplyChannel {
  readonly channel: ConfirmChannel;
  /** The bookkeeping key of the request using it. */
  key: string | undefined;
  consumerTag: string | undefined;
  /** The request's publish (settled once the broker confirmed or refused it). */
  published: Promise<void> | undefined;
}

/** One request as it goes on the wire. */
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

/**
 * Requests and their replies, in the three reply modes (`direct` reply-to, an exclusive `queue`, a
 * `lasting-queue` that outlives the connection), plus requests without a correlation id the Spring AMQP 1.7
 * way. The bookkeeping (deadlines, re-sends, late replies) is {@link PendingRequests}'.
 */
export class Rpc {
  readonly pending = new PendingRequests();
  /** Idle reply channels of requests without a correlation id, per connection. */
  private readonly idleReplies = new WeakMap<Link, ReplyChannel[]>();
  /** `lasting-queue` reply mode: the reply queue's name (fixed for the transport's life) once a request used it. */
  lastingReplyQueue: string | undefined;

  constructor(
    private readonly keeper: ConnectionKeeper,
    private readonly ops: TopologyOps,
  ) {}

  private get lasting(): boolean {
    return this.keeper.options.replyMode === 'lasting-queue';
  }

  async request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs))
      throw new ConfigError(`request option timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
    if (this.keeper.state === 'closed') throw new TransportError('transport is closed');
    const waitedFor = options.waitedFor ?? `a reply from ${routingKey}`;
    const pendingOptions = { timeoutMs: options.timeoutMs, waitedFor, idempotent: options.idempotent, signal: options.signal };
    const input: RequestInput = {
      exchange,
      routingKey,
      payload: toBuffer(body),
      headers: options.headers,
      headersForReplyTo: options.headersForReplyTo,
      waitedFor,
      mandatory: options.retryUnroutable === true,
      persistent: options.persistent === true,
    };
    if (options.withoutCorrelationId === true) {
      // The bookkeeping needs a key; it never goes on the wire.
      const key = randomUUID();
      return this.pending.start(key, { options: pendingOptions, send: (context) => this.sendOnOwnChannel(input, key, context) });
    }
    const correlationId = options.correlationId ?? randomUUID();
    return this.pending.start(correlationId, { options: pendingOptions, send: (context) => this.send(input, correlationId, context) });
  }

  private properties(input: RequestInput, replyTo: string, correlationId?: string): MessageProperties {
    const properties: MessageProperties = { replyTo };
    if (correlationId !== undefined) properties.correlationId = correlationId;
    const headers = withReplyToHeaders(input, replyTo);
    if (headers) properties.headers = headers;
    if (input.persistent) properties.persistent = true;
    return properties;
  }

  private publishOn(
    on: { channel: ConfirmChannel; link: Link },
    input: RequestInput,
    properties: MessageProperties,
    onWritten?: () => void,
  ): Promise<void> {
    const { channel, link } = on;
    const key = input.exchange === '' ? this.ops.topology.resolve(input.routingKey) : input.routingKey;
    return confirmPublish(channel, {
      exchange: input.exchange,
      routingKey: key,
      timeoutMs: this.keeper.options.publishTimeoutMs,
      flow: link.flow,
      payload: input.payload,
      options: { ...publishOptions(properties), ...(input.mandatory ? { mandatory: true } : {}) },
      ...(onWritten ? { onWritten } : {}),
    });
  }

  private async waitForLink(what: string, signal: AbortSignal): Promise<Link> {
    for (;;) {
      try {
        return await this.keeper.linkFor(what, signal);
      } catch (error) {
        if (!(error instanceof LinkLostError)) throw error;
      }
    }
  }

  /**
   * A request without a correlation id, the Spring AMQP 1.7 way: a channel of its own consumes a fresh direct
   * reply-to address (the broker makes one per consume), so the first message there is the reply. As in Spring,
   * the channel comes from a cache and goes back to it (see {@link takeReplyChannel}); its consumer is cancelled
   * when the request settles or this attempt is superseded (an unroutable re-send consumes anew).
   */
  private async sendOnOwnChannel(input: RequestInput, key: string, context: SendContext): Promise<void> {
    const what = `sending the request for ${input.waitedFor}`;
    const { keeper } = this;
    const link = await this.waitForLink(what, context.signal);
    try {
      await this.ops.exchangeExists(link, input.exchange);
    } catch (error) {
      if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
      throw new TransportError(`${what} failed: ${keeper.describe(undefined, error)}`, { cause: error });
    }
    if (context.signal.aborted) return;
    let slot: ReplyChannel;
    try {
      slot = await this.takeReplyChannel(link);
    } catch (error) {
      if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
      throw new TransportError(`opening a reply channel failed (${what}): ${keeper.describe(undefined, error)}`, { cause: error });
    }
    const { channel } = slot;
    slot.key = key;
    const release = (): void => void this.releaseReplyChannel(link, slot);
    try {
      const { consumerTag } = await channel.consume(
        DIRECT_REPLY_TO,
        (msg) => {
          if (msg !== null && !this.pending.settle(key, toIncoming(msg)))
            keeper.log.debug('late reply to a request without correlation id dropped');
        },
        { noAck: true },
      );
      slot.consumerTag = consumerTag;
      if (context.signal.aborted) return release();
      context.signal.addEventListener('abort', release, { once: true });
      context.sentOn(channel);
      slot.published = this.publishOn({ channel, link }, input, this.properties(input, DIRECT_REPLY_TO));
      await slot.published;
    } catch (error) {
      // A channel in an unknown state is not reused.
      slot.key = undefined;
      if (!isChannelClosed(channel)) void channel.close().catch(() => undefined);
      if (link.lost)
        throw new LinkLostError(`connection lost before the broker accepted the request for ${input.waitedFor}`, { cause: error });
      throw new TransportError(`${what} failed: ${keeper.describe(channel, error)}`, { cause: error });
    }
  }

  /**
   * An idle reply channel of `link`, or a new one. Spring's `CachingConnectionFactory` (the 6.0 NFVO's, through
   * Spring Boot) hands a `RabbitTemplate` a cached channel and takes it back on close, keeping up to 25 idle
   * (spring-amqp 1.7.7 `CachingConnectionFactory.java:101`, close → `logicalClose` at `:934-944`, called from `RabbitTemplate.doExecute`, `RabbitTemplate.java:1474`;
   * `RabbitTemplate.doSendAndReceiveWithTemporary` consumes and cancels on it, `RabbitTemplate.java:1255-1313`).
   * Opening and closing a channel per request instead made the broker's share of a deployment ≈ 50 % larger.
   */
  private async takeReplyChannel(link: Link): Promise<ReplyChannel> {
    const idle = this.idleReplyChannels(link);
    for (let slot = idle.pop(); slot !== undefined; slot = idle.pop()) if (!isChannelClosed(slot.channel)) return slot;
    const channel = await link.connection.createConfirmChannel();
    const slot: ReplyChannel = { channel, key: undefined, consumerTag: undefined, published: undefined };
    watchChannel(channel, {
      name: 'reply',
      log: this.keeper.log,
      onClose: () => {
        const at = idle.indexOf(slot);
        if (at >= 0) idle.splice(at, 1);
        // Closed by the broker or with the connection while a request waits: its reply can no longer arrive.
        if (slot.key !== undefined) this.pending.linkLost(link.lost ? 'connection lost' : 'the reply channel closed', channel);
      },
    });
    channel.on('return', (msg: ConsumeMessage) => {
      if (slot.key !== undefined && this.pending.unroutable(slot.key) === 1)
        this.keeper.log.info(
          { routingKey: msg.fields.routingKey },
          `no queue took the request (yet); sending it again every ${UNROUTABLE_RETRY_MS} ms until one does or it times out`,
        );
    });
    return slot;
  }

  /** Cancels the slot's reply consumer and puts the channel back into the cache (closed when the cache is full). */
  private async releaseReplyChannel(link: Link, slot: ReplyChannel): Promise<void> {
    const { channel } = slot;
    try {
      // The broker returns an unroutable message before it confirms it: once the publish settled, no return of
      // this request can reach the channel's next user.
      await slot.published?.catch(() => undefined);
      if (slot.consumerTag !== undefined) await channel.cancel(slot.consumerTag);
    } catch {
      slot.key = undefined;
      if (!isChannelClosed(channel)) void channel.close().catch(() => undefined);
      return;
    }
    slot.key = undefined;
    slot.consumerTag = undefined;
    slot.published = undefined;
    const idle = this.idleReplyChannels(link);
    if (isChannelClosed(channel)) return;
    if (!link.lost && this.keeper.state !== 'closed' && idle.length < REPLY_CHANNEL_CACHE) idle.push(slot);
    else void channel.close().catch(() => undefined);
  }

  private idleReplyChannels(link: Link): ReplyChannel[] {
    let idle = this.idleReplies.get(link);
    if (!idle) {
      idle = [];
      this.idleReplies.set(link, idle);
    }
    return idle;
  }

  private async send(input: RequestInput, correlationId: string, context: SendContext): Promise<void> {
    const what = `sending the request for ${input.waitedFor}`;
    const { keeper } = this;
    for (;;) {
      let link: Link;
      try {
        link = await keeper.linkFor(what, context.signal);
      } catch (error) {
        if (error instanceof LinkLostError) continue;
        throw error;
      }
      let rpc: RpcChannel;
      try {
        rpc = await this.channel(link);
      } catch (error) {
        // Nothing was sent yet, so even a non-idempotent request can wait for the next connection.
        if (link.lost && !keeper.stopping.signal.aborted) continue;
        throw new TransportError(`opening the reply channel failed (${what}): ${keeper.describe(undefined, error)}`, { cause: error });
      }
      try {
        await this.ops.exchangeExists(link, input.exchange);
      } catch (error) {
        if (link.lost && this.lasting && !keeper.stopping.signal.aborted) continue;
        if (link.lost) throw new LinkLostError(`connection lost before ${what}`, { cause: error });
        throw new TransportError(`${what} failed: ${keeper.describe(undefined, error)}`, { cause: error });
      }
      if (context.signal.aborted) return;
      context.sentOn(rpc.channel);
      let written = false;
      try {
        await this.publishOn({ channel: rpc.channel, link }, input, this.properties(input, rpc.replyTo, correlationId), () => {
          written = true;
        });
        return;
      } catch (error) {
        link.exchangeChecks.clear();
        const gone = link.lost || isChannelClosed(rpc.channel);
        if (gone && this.lasting && !keeper.stopping.signal.aborted) {
          // Never written: send it on the next connection. Written but unconfirmed: the broker may have
          // taken it, and then the reply lands in the lasting queue; sending it again could run it twice,
          // so the request just keeps waiting (until its own deadline).
          if (!written) continue;
          keeper.log.warn(
            { waitedFor: input.waitedFor },
            'connection lost before the broker confirmed a request; waiting for its reply on the lasting reply queue',
          );
          return;
        }
        if (link.lost)
          throw new LinkLostError(`connection lost before the broker accepted the request for ${input.waitedFor}`, { cause: error });
        throw new TransportError(`${what} failed: ${keeper.describe(rpc.channel, error)}`, { cause: error });
      }
    }
  }

  /** The link's request channel, opened (and its reply consumer started) on first use. */
  channel(link: Link): Promise<RpcChannel> {
    link.rpc ??= this.open(link).catch((error: unknown) => {
      link.rpc = undefined;
      throw error;
    });
    return link.rpc;
  }

  /** The lasting reply queue's name: `vnfkit.reply.<connection name>.<uuid>`, fixed for this transport. */
  private lastingQueueName(): string {
    this.lastingReplyQueue ??= `vnfkit.reply.${this.keeper.options.connectionName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 100)}.${randomUUID()}`;
    return this.lastingReplyQueue;
  }

  private async open(link: Link): Promise<RpcChannel> {
    const { keeper } = this;
    const channel = await link.connection.createConfirmChannel();
    watchChannel(channel, { name: 'rpc', log: keeper.log, onClose: () => this.onChannelClosed(link, channel) });
    let replyTo: string = DIRECT_REPLY_TO;
    let noAck = true;
    if (keeper.options.replyMode === 'queue') {
      replyTo = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    } else if (this.lasting) {
      // Not exclusive, not auto-delete: it outlives this connection, so replies sent while we reconnect wait in it.
      replyTo = this.lastingQueueName();
      // Durable, so that it also outlives a broker restart: a reply published after the restart is routed even
      // before this transport has reconnected (the replies are not persistent, so nothing goes to disk).
      await channel.assertQueue(
        replyTo,
        queueArguments({ durable: true, expiresMs: keeper.options.replyQueueExpiresMs, type: keeper.options.replyQueueType }),
      );
      noAck = false;
    }
    // A `mandatory` request (retryUnroutable) that no queue took comes back here; it is sent again shortly.
    channel.on('return', (msg: ConsumeMessage) => {
      const id = typeof msg.properties.correlationId === 'string' ? msg.properties.correlationId : undefined;
      const returns = this.pending.unroutable(id);
      // Once per request at info (an agent reconnecting, or a VM that is gone), then quiet.
      if (returns === 1)
        keeper.log.info(
          { correlationId: id, routingKey: msg.fields.routingKey },
          `no queue took the request (yet); sending it again every ${UNROUTABLE_RETRY_MS} ms until one does or it times out`,
        );
    });
    // Direct reply-to: the consumer must be on the channel the requests are published on, with noAck.
    await channel.consume(replyTo, (msg) => this.onReply(msg, noAck ? undefined : channel), { noAck });
    if (isChannelClosed(channel)) throw new TransportError('the reply channel closed while opening');
    link.rpcOpen = { channel, replyTo };
    return link.rpcOpen;
  }

  private onChannelClosed(link: Link, channel: Channel): void {
    if (link.rpcOpen?.channel === channel) {
      link.rpcOpen = undefined;
      link.rpc = undefined;
    }
    const reason = channelCloseReason(channel);
    // Closed with the connection: the transport fails or keeps the requests. Closed by us: nothing pending.
    if (!reason || link.lost || this.keeper.link !== link) return;
    if (this.lasting) {
      // The replies still arrive in the lasting queue: consume it again on a new channel.
      void this.channel(link).catch((error: unknown) =>
        this.keeper.log.error(
          { err: this.keeper.describe(undefined, error) },
          'cannot re-open the reply channel; retried with the next request or reconnect',
        ),
      );
      return;
    }
    // The broker closed only this channel (e.g. a request to a missing exchange): replies to it can no longer arrive.
    this.pending.linkLost(`the reply channel closed (${this.keeper.describe(channel, reason)})`, channel);
    this.pending.resendOrphans();
  }

  private onReply(msg: ConsumeMessage | null, ackOn: Channel | undefined): void {
    if (msg === null) {
      // While closing, that is the lasting reply queue being deleted on purpose.
      if (this.keeper.state !== 'closing') this.keeper.log.warn('the broker cancelled the reply consumer');
      return;
    }
    const id = msg.properties.correlationId ? String(msg.properties.correlationId) : undefined;
    if (!this.pending.settle(id, toIncoming(msg))) this.keeper.log.debug({ correlationId: id }, 'late or unknown reply dropped');
    if (ackOn) {
      try {
        ackOn.ack(msg);
      } catch {
        /* channel gone: the reply is redelivered and then dropped as late */
      }
    }
  }

  /** A new connection: requests in flight wait on the lasting reply queue, so consume it again before anything else. */
  async restore(link: Link): Promise<void> {
    if (this.lastingReplyQueue !== undefined) await this.channel(link);
  }
}
