/** Bounds of a capped exponential backoff. */
export interface BackoffBounds {
  /** First delay in milliseconds. @default 100 */
  initialDelayMs?: number;
  /** Cap of the delay in milliseconds. @default 30_000 */
  maxDelayMs?: number;
  /** Fraction (0…1) of each delay that is randomised, so many clients do not retry in lockstep. @default 0.5 */
  jitter?: number;
}

/**
 * Capped exponential backoff with jitter: attempt `n` waits `min(max, initial·2ⁿ)` minus a random part
 * of up to `jitter` of that (0 = fixed delays, 1 = "full jitter").
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  const initial = bounds.initialDelayMs ?? 100;
  const max = bounds.maxDelayMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, bounds.jitter ?? 0.5));
  const ceiling = Math.min(max, initial * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling * (1 - jitter * random()));
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Removes every occurrence of the URL's password from `text` (driver messages sometimes echo the URL). */
export function redactSecret(text: string, url: string): string {
  let raw = '';
  try {
    raw = new URL(url).password;
  } catch {
    return text;
  }
  let result = text;
  // Both spellings: as written in the URL (percent-encoded) and decoded.
  for (const secret of new Set([raw, safeDecode(raw)])) if (secret.length > 0) result = result.split(secret).join('***');
  return result;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: callers re-check their state). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
