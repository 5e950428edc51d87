import type { Channel } from 'amqplib';

/**
 * Whether the broker currently blocks a connection (`connection.blocked`: a memory or disk alarm).
 * While blocked the broker reads nothing from the socket, so a publish cannot be confirmed; the
 * publish deadline is paused meanwhile and restarts in full once the broker unblocks.
 */
export class BlockState {
  private blockedNow = false;
  private unblockedAt = 0;
  private readonly waiters = new Set<() => void>();

  /** True while the broker blocks the connection. */
  get blocked(): boolean {
    return this.blockedNow;
  }

  /** The broker sent `connection.blocked`. */
  block(): void {
    this.blockedNow = true;
  }

  /** The broker sent `connection.unblocked`, or the connection is gone (a new one starts unblocked). */
  unblock(): void {
    if (!this.blockedNow) return;
    this.blockedNow = false;
    this.unblockedAt = Date.now();
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }

  /**
   * Calls `onExpire` once `timeoutMs` of unblocked time has passed: the clock stops while the
   * connection is blocked and starts again from zero when it is unblocked (the broker then works
   * off its backlog). Returns a function that cancels the deadline.
   */
  deadline(timeoutMs: number, onExpire: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    let waiter: (() => void) | undefined;
    const arm = (ms: number): void => {
      timer = setTimeout(check, ms);
    };
    const check = (): void => {
      if (cancelled) return;
      if (this.blockedNow) {
        waiter = () => arm(timeoutMs);
        this.waiters.add(waiter);
        return;
      }
      const sinceUnblock = Date.now() - this.unblockedAt;
      if (sinceUnblock < timeoutMs) {
        arm(timeoutMs - sinceUnblock);
        return;
      }
      cancelled = true;
      onExpire();
    };
    arm(timeoutMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    };
  }
}

interface WriteState {
  /** Writes in order: each waits for the previous one (and for `drain` when the buffer was full). */
  tail: Promise<void>;
  /** Set while amqplib's write buffer for the channel is above its high-water mark. */
  full: Promise<void> | undefined;
}

const writeStates = new WeakMap<Channel, WriteState>();

/** Times a channel's write buffer was found full (for tests and diagnostics). */
let drainWaits = 0;

/** How many times a publish waited for a channel's `drain` event since the process started. */
export function drainWaitCount(): number {
  return drainWaits;
}

function drained(channel: Channel): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

/**
 * Runs `write` (one `channel.publish`) after the writes queued before it on the same channel, and
 * honours amqplib's back-pressure: when a publish returns false the channel's write buffer is full,
 * so the next write waits for the channel's `drain` (or `close`) event instead of piling up more
 * frames in memory. `write` is skipped when `stillWanted()` turns false while waiting (the caller
 * gave up, e.g. its deadline passed), so a timed-out publish is never sent later.
 */
export function writeInOrder(channel: Channel, input: { write: () => boolean; stillWanted: () => boolean }): Promise<void> {
  let state = writeStates.get(channel);
  if (!state) {
    state = { tail: Promise.resolve(), full: undefined };
    writeStates.set(channel, state);
  }
  const current = state;
  const step = async (): Promise<void> => {
    if (current.full) {
      drainWaits += 1;
      await current.full;
      current.full = undefined;
    }
    if (!input.stillWanted()) return;
    if (!input.write()) current.full ??= drained(channel);
  };
  const run = current.tail.then(step);
  current.tail = run.catch(() => undefined);
  return run;
}
