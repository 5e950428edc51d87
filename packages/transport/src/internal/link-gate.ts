import { TimeoutError, TransportError } from '@vnfkit/protocol';

/** What a caller of {@link LinkGate.wait} waits for, and for how long. */
export interface GateWait {
  /** Deadline in milliseconds. */
  timeoutMs: number;
  /** Named in the `TimeoutError`, e.g. "the broker connection before publishing to x". */
  waitedFor: string;
  /** Gives up early (the caller no longer needs the link). */
  signal?: AbortSignal | undefined;
}

/**
 * Lets operations wait, with a deadline, until the broker link is up. Both transports use it so that
 * a publish attempted while disconnected waits for the reconnect instead of being lost silently.
 */
export class LinkGate {
  private up = false;
  private shutError: Error | undefined;
  private readonly waiters = new Set<() => void>();

  /** True while the link is usable. */
  get isOpen(): boolean {
    return this.up;
  }

  /** The link is usable: every waiter proceeds. */
  open(): void {
    this.up = true;
    this.notify();
  }

  /** The link dropped: new waiters wait until {@link open}. */
  down(): void {
    this.up = false;
  }

  /** The link will never come back: waiters and future callers get `error`. */
  shut(error: Error): void {
    this.up = false;
    this.shutError ??= error;
    this.notify();
  }

  /** Resolves once the link is up; rejects with a `TimeoutError` naming `waitedFor` after the deadline. */
  wait(request: GateWait): Promise<void> {
    if (this.shutError) return Promise.reject(this.shutError);
    if (this.up) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const waiter = (): void => {
        if (this.shutError) finish(this.shutError);
        else if (this.up) finish();
      };
      const onAbort = (): void => finish(new TransportError(`gave up waiting for ${request.waitedFor}`, { cause: request.signal?.reason }));
      const timer = setTimeout(() => finish(new TimeoutError(request.waitedFor, request.timeoutMs)), request.timeoutMs);
      if (request.signal?.aborted) {
        onAbort();
        return;
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
