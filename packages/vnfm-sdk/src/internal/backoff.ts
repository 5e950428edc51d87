/** Capped exponential backoff with full jitter: attempt 0 waits up to `initialDelayMs`. */
export function backoffDelay(attempt: number, bounds: { initialDelayMs?: number; maxDelayMs?: number }): number {
  const initial = bounds.initialDelayMs ?? 100;
  const max = bounds.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
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
