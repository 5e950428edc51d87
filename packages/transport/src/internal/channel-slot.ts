import type { Channel } from 'amqplib';
import type { Logger } from 'pino';

const closeReasons = new WeakMap<Channel, Error>();
const closedChannels = new WeakSet<Channel>();

/** The broker's reason for closing `channel` (e.g. `404 NOT_FOUND - no exchange 'x'`), when it closed one. */
export function channelCloseReason(channel: Channel | undefined): Error | undefined {
  return channel ? closeReasons.get(channel) : undefined;
}

/** True once `channel` has closed. */
export function isChannelClosed(channel: Channel): boolean {
  return closedChannels.has(channel);
}

/**
 * Attaches the listeners every channel needs: a channel error must never be unhandled (amqplib
 * would throw it), and the reason is kept so the failing operation can name it.
 */
export function watchChannel(channel: Channel, input: { name: string; log: Logger; onClose?: () => void }): void {
  channel.on('error', (error: Error) => {
    closeReasons.set(channel, error);
    input.log.warn({ err: error.message, channel: input.name }, 'the broker closed a channel');
  });
  channel.on('close', () => {
    closedChannels.add(channel);
    input.onClose?.();
  });
}

/**
 * One lazily (re)opened channel: after the broker closes it (e.g. PRECONDITION_FAILED on a redeclare,
 * publish to a missing exchange) the next {@link get} opens a fresh one on the same connection.
 */
export class ChannelSlot<C extends Channel> {
  private current: C | undefined;
  private opening: Promise<C> | undefined;

  constructor(private readonly input: { open: () => Promise<C>; name: string; log: Logger }) {}

  /** The open channel, opening a new one when needed. */
  get(): Promise<C> {
    if (this.current && !closedChannels.has(this.current)) return Promise.resolve(this.current);
    this.opening ??= this.openNew().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Closes the channel if open (best effort; the connection closing closes it anyway). */
  async close(): Promise<void> {
    const channel = this.current;
    this.current = undefined;
    if (channel && !closedChannels.has(channel)) await channel.close().catch(() => undefined);
  }

  private async openNew(): Promise<C> {
    const channel = await this.input.open();
    watchChannel(channel, { name: this.input.name, log: this.input.log });
    this.current = channel;
    return channel;
  }
}
