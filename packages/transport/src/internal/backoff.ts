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
