import type { Channel, ConsumeMessage } from 'amqplib';
import { TransportError } from '@vnfkit/protocol';
import { backoffDelay } from '../internal/backoff.js';
import { channelCloseReason, isChannelClosed, watchChannel } from '../internal/channel-slot.js';
import { ConsumerRunner, consumeLimits } from '../internal/consumer-runner.js';
import { sleep, withDeadline } from '../internal/deadline.js';
import { LinkLostError } from '../internal/pending-requests.js';
import type { Topology } from '../internal/topology.js';
import type { ConsumeOptions, Consumer, MessageHandler } from '../transport.js';
import type { ConnectionKeeper, Link } from './connection.js';
import { toIncoming } from './wire.js';

interface ConsumerState {
  /** The queue name given to `consume` (a handle for server-named queues). */
  readonly handle: string;
  readonly prefetch: number;
  readonly exclusive: boolean;
  readonly streamOffset: ConsumeOptions['streamOffset'];
  readonly runner: ConsumerRunner;
  link: Link | undefined;
  channel: Channel | undefined;
  tag: string | undefined;
  restarts: number;
  cancelled: boolean;
  cancelling: Promise<void> | undefined;
}

/** Per shared channel (`oneChannel`), what each consumer on it does when it closes: one listener per channel. */
const sharedChannelConsumers = new WeakMap<Channel, Map<ConsumerState, () => void>>();

/** Calls `onClose` when the shared `channel` closes, for `state` (replacing its earlier registration there). */
function onSharedChannelClose(channel: Channel, state: ConsumerState, onClose: () => void): void {
  let consumers = sharedChannelConsumers.get(channel);
  if (!consumers) {
    const map = new Map<ConsumerState, () => void>();
    channel.on('close', () => {
      for (const close of [...map.values()]) close();
    });
    sharedChannelConsumers.set(channel, map);
    consumers = map;
  }
  consumers.set(state, onClose);
}

/**
 * Consumers: each on a channel of its own (so prefetch is per consumer), handlers run through a
 * {@link ConsumerRunner}, resumed on every new connection, re-opened when the broker closes only their channel.
 */
export class Consumers {
  private readonly states = new Set<ConsumerState>();

  constructor(
    private readonly keeper: ConnectionKeeper,
    private readonly topology: Topology,
  ) {}

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const { prefetch, concurrency } = consumeLimits(options);
    const { state: current } = this.keeper;
    if (current === 'closing' || current === 'closed') throw new TransportError(`transport is ${current} (consuming ${queue})`);
    const handle = this.topology.handleOf(queue) ?? queue;
    const state: ConsumerState = {
      handle,
      prefetch,
      exclusive: options.exclusive ?? false,
      streamOffset: options.streamOffset,
      runner: new ConsumerRunner({ handler, concurrency, log: this.keeper.log.child({ queue: handle }) }),
      link: undefined,
      channel: undefined,
      tag: undefined,
      restarts: 0,
      cancelled: false,
      cancelling: undefined,
    };
    this.states.add(state);
    // Idle: started with the first connection.
    if (!this.keeper.deferring) await this.startNow(state, queue);
    const topology = this.topology;
    return {
      get queue(): string {
        return topology.resolve(handle);
      },
      cancel: () => this.cancel(state),
    };
  }

  private async startNow(state: ConsumerState, queue: string): Promise<void> {
    try {
      for (;;) {
        let link: Link;
        try {
          link = await this.keeper.linkFor(`consuming ${queue}`);
        } catch (error) {
          if (error instanceof LinkLostError) continue;
          throw error;
        }
        if (state.link === link) return; // the reconnect resumed it meanwhile
        try {
          await this.start(state, link);
          return;
        } catch (error) {
          if (link.lost && !this.keeper.stopping.signal.aborted) continue;
          throw new TransportError(`consuming ${queue} failed: ${this.keeper.describe(undefined, error)}`, { cause: error });
        }
      }
    } catch (error) {
      state.cancelled = true;
      this.states.delete(state);
      throw error;
    }
  }

  /** Starts every consumer on a new connection. */
  async resume(link: Link): Promise<void> {
    for (const state of this.states) {
      if (state.cancelled) continue;
      try {
        await this.start(state, link);
      } catch (error) {
        if (this.keeper.failsAttempt(link, error)) throw error;
        // E.g. a stream or quorum queue whose member on this node is not ready yet after a node went down.
        this.keeper.log.error(
          { queue: state.handle, err: this.keeper.describe(undefined, error) },
          'resuming a consumer after a reconnect failed; retrying',
        );
        this.retry(state, link);
      }
    }
  }

  /** The connection dropped: deliveries not yet handed to a handler are requeued by the broker. */
  dropStale(): void {
    for (const state of this.states) state.runner.dropStale();
  }

  private async start(state: ConsumerState, link: Link): Promise<void> {
    if (state.link === link && state.channel && !isChannelClosed(state.channel)) return;
    // `oneChannel`: consumers share the connection's publish channel (one channel per connection in all).
    const { oneChannel } = this.keeper.options;
    const channel: Channel = oneChannel ? await link.publisher.get() : await link.connection.createChannel();
    const onClose = (): void => this.onChannelClosed(state, channel, link);
    // The shared channel is watched by its slot already; its consumers share one close listener.
    if (oneChannel) onSharedChannelClose(channel, state, onClose);
    else watchChannel(channel, { name: `consumer ${state.handle}`, log: this.keeper.log, onClose });
    try {
      // Per-consumer prefetch (global=false): the broker pushes at most this many unacked deliveries.
      await channel.prefetch(state.prefetch, false);
      const offset = typeof state.streamOffset === 'function' ? state.streamOffset() : state.streamOffset;
      const args = offset !== undefined ? { arguments: { 'x-stream-offset': offset } } : {};
      const ok = await channel.consume(this.topology.resolve(state.handle), (msg) => this.onDelivery(state, channel, msg), {
        exclusive: state.exclusive,
        noAck: false,
        ...args,
      });
      if (state.cancelled) {
        await this.release(channel, ok.consumerTag);
        return;
      }
      state.channel = channel;
      state.tag = ok.consumerTag;
      state.link = link;
    } catch (error) {
      await this.release(channel, undefined);
      throw error;
    }
  }

  /** Gives a consumer's channel up: closes its own channel, or only cancels `tag` on a shared one. */
  private async release(channel: Channel, tag: string | undefined): Promise<void> {
    if (isChannelClosed(channel)) return;
    if (!this.keeper.options.oneChannel) await channel.close().catch(() => undefined);
    else if (tag !== undefined) await channel.cancel(tag).catch(() => undefined);
  }

  private onDelivery(state: ConsumerState, channel: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer: its queue was deleted, or (a cluster) a replicated queue's member moved.
      // Started again with backoff (a deleted queue fails until it is declared again, e.g. after a reconnect).
      this.keeper.log.warn({ queue: state.handle }, 'the broker cancelled a consumer (queue deleted or moved?); starting it again');
      const link = state.link;
      if (state.channel === channel) {
        state.channel = undefined;
        state.tag = undefined;
        state.link = undefined;
      }
      void this.release(channel, undefined);
      if (link && !state.cancelled) this.retry(state, link);
      return;
    }
    state.runner.push({
      message: toIncoming(msg),
      ack: () => channel.ack(msg),
      nack: (requeue) => channel.nack(msg, false, requeue),
      stale: () => isChannelClosed(channel),
    });
  }

  /** Starts a consumer again on `link` after a backoff, until it works, or it is cancelled, or `link` is gone. */
  private retry(state: ConsumerState, link: Link): void {
    const { keeper } = this;
    const delay = backoffDelay(state.restarts++, keeper.options.reconnect);
    void sleep(delay, keeper.stopping.signal)
      .then(() =>
        state.cancelled || link.lost || keeper.link !== link || keeper.stopping.signal.aborted ? undefined : this.start(state, link),
      )
      .then(
        () => {
          state.restarts = 0;
        },
        (error: unknown) => {
          keeper.log.debug({ queue: state.handle, err: keeper.describe(undefined, error) }, 'starting a consumer failed again; retrying');
          this.retry(state, link);
        },
      );
  }

  private onChannelClosed(state: ConsumerState, channel: Channel, link: Link): void {
    state.runner.dropStale();
    if (state.channel !== channel) return;
    state.channel = undefined;
    state.tag = undefined;
    state.link = undefined;
    const { keeper } = this;
    // Only a channel the broker closed on its own is re-opened here; a lost connection is the reconnect's job.
    if (!channelCloseReason(channel) || state.cancelled || link.lost || keeper.link !== link || keeper.stopping.signal.aborted) return;
    keeper.log.warn({ queue: state.handle }, 'consumer channel closed by the broker; re-opening it');
    this.retry(state, link);
  }

  private cancel(state: ConsumerState): Promise<void> {
    state.cancelling ??= (async () => {
      state.cancelled = true;
      const { channel, tag } = state;
      if (channel && tag && !isChannelClosed(channel)) await channel.cancel(tag).catch(() => undefined);
      // Deliveries not yet handed to the handler go back to the queue (redelivered=true for the next consumer).
      state.runner.stop();
      const { closeTimeoutMs } = this.keeper.options;
      if (!(await withDeadline(state.runner.idle(), closeTimeoutMs))) {
        this.keeper.log.warn(
          { queue: state.handle, running: state.runner.running, waitedMs: closeTimeoutMs },
          'handlers still running after the close timeout; their messages will be redelivered',
        );
      }
      this.states.delete(state);
      if (channel) sharedChannelConsumers.get(channel)?.delete(state);
      state.channel = undefined;
      state.link = undefined;
      if (channel) await this.release(channel, undefined);
    })();
    return state.cancelling;
  }

  /** Cancels every consumer (handlers in flight may finish, up to `closeTimeoutMs`). */
  cancelAll(): Promise<void> {
    return Promise.all([...this.states].map((state) => this.cancel(state))).then(() => undefined);
  }
}
