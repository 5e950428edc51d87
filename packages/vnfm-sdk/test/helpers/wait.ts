/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Deadline in milliseconds. @default 10_000 */
  timeoutMs?: number;
  /** Polling interval in milliseconds. @default 20 */
  intervalMs?: number;
  /** What is waited for; named in the failure message. */
  what: string;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the deadline passes, then
 * fails saying what it waited for (and the condition's last error, if it threw).
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${suffix}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with `promise`, or rejects after `timeoutMs` naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, options: { timeoutMs?: number; what: string }): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Anything with `on`/`off` listener methods (transports, emitters). */
export interface Listenable<E extends string> {
  on(event: E, listener: () => void): unknown;
  off(event: E, listener: () => void): unknown;
}

/** Resolves on the next `event` of `source`; rejects after `timeoutMs`. Subscribe BEFORE causing the event. */
export function nextEvent<E extends string>(source: Listenable<E>, event: E, options: { timeoutMs?: number } = {}): Promise<void> {
  let listener: (() => void) | undefined;
  const fired = new Promise<void>((resolve) => {
    listener = () => resolve();
    source.on(event, listener);
  });
  return withTimeout(fired, { timeoutMs: options.timeoutMs, what: `the '${event}' event` }).finally(() => {
    if (listener) source.off(event, listener);
  });
}

/** A promise with its resolve/reject exposed (to hold a handler until the test releases it). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
