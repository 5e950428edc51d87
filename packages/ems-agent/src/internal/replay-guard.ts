/** Signed commands remembered at most, whatever their age (a bound on memory, not a security limit in practice). */
const MAX_REMEMBERED = 100_000;

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Refuses replays of signed commands. A signature binds the command's body, correlation id and signing time
 * (`signCommand`), so a captured command can only be sent again as it was: refused once it is older than
 * `max_command_age`, and refused within that window when its correlation id has run before. (A repeat the
 * VNFM sends on purpose is answered from the execution record before it gets here.) The ids live in memory:
 * after an agent restart, only the execution records (the last 64 commands) recognise earlier ones.
 */
export class ReplayGuard {
  /** Correlation id → signing time, in arrival order. */
  private readonly seen = new Map<string, number>();

  /** `maxAgeMs` 0: no age limit (ids are then remembered up to a count bound only). */
  constructor(private readonly maxAgeMs: number, private readonly now: () => number = Date.now) {}

  /** Why this signed command must not run, or undefined — then it is remembered as run. */
  admit(correlationId: string, signedAt: number): string | undefined {
    const now = this.now();
    if (this.maxAgeMs > 0) {
      if (now - signedAt > this.maxAgeMs) return `signed ${seconds(now - signedAt)} ago, longer than max_command_age (${seconds(this.maxAgeMs)}) allows: a replay, or a command that waited too long`;
      if (signedAt - now > this.maxAgeMs) return `signed ${seconds(signedAt - now)} in the future: the VNFM's and this VM's clocks differ by more than max_command_age (${seconds(this.maxAgeMs)})`;
    }
    if (this.seen.has(correlationId)) return 'its correlation id was already used by a command this agent ran (a replay)';
    this.seen.set(correlationId, signedAt);
    this.forget(now);
    return undefined;
  }

  private forget(now: number): void {
    for (const [id, signedAt] of this.seen) {
      const expired = this.maxAgeMs > 0 && now - signedAt > this.maxAgeMs;
      if (!expired && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(id);
    }
  }
}
