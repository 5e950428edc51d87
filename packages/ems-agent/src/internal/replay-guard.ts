import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Signed commands remembered at most, whatever their age (a bound on memory and disk). */
const MAX_REMEMBERED = 100_000;

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** Options of {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** How long a signature is valid after signing; 0 = no age limit (ids then remembered up to a count bound). */
  maxAgeMs: number;
  /**
   * File that keeps the used ids across agent restarts (one `<signed-at> <id as JSON>` line each, appended;
   * rewritten with the live entries once it holds twice as many). Without it they live in memory only.
   */
  file?: string;
  now?: () => number;
}

/**
 * Refuses replays of signed commands. A signature binds the command's body, correlation id, signing time, target
 * queue and reply_to (`signCommand`), so a captured command can only be sent again as it was, to the same VM:
 * refused once it is older than `max_command_age` ({@link ReplayGuard.checkAge}, checked first), and refused within
 * that window when its correlation id has run before. (A repeat the VNFM sends on purpose is answered from the
 * execution record, after the age check, before {@link ReplayGuard.admit}.)
 */
export class ReplayGuard {
  /** Correlation id → signing time, in arrival order. */
  private readonly seen = new Map<string, number>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  /** Lines in the file (live or not), to know when to rewrite it. */
  private lines = 0;

  constructor(private readonly options: ReplayGuardOptions) {
    this.maxAgeMs = options.maxAgeMs;
    this.now = options.now ?? Date.now;
    if (options.file === undefined) return;
    let text = '';
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      const signedAt = Number(line.slice(0, space));
      if (space <= 0 || !Number.isSafeInteger(signedAt)) continue;
      let id: unknown;
      try {
        id = JSON.parse(line.slice(space + 1));
      } catch {
        continue; // a torn last line (crash while appending)
      }
      if (typeof id === 'string') this.seen.set(id, signedAt);
    }
    this.forget(this.now());
    this.rewrite();
  }

  /**
   * Why a command signed at `signedAt` is too old (or too far in the future) to be answered at all, or undefined.
   * Checked before anything else looks at the command — the execution records included — so that a replay past
   * `max_command_age` gets nothing, not even a recorded reply.
   */
  checkAge(signedAt: number): string | undefined {
    if (this.maxAgeMs <= 0) return undefined;
    const now = this.now();
    if (now - signedAt > this.maxAgeMs)
      return `signed ${seconds(now - signedAt)} ago, longer than max_command_age (${seconds(this.maxAgeMs)}) allows: a replay, or a command that waited too long`;
    if (signedAt - now > this.maxAgeMs)
      return `signed ${seconds(signedAt - now)} in the future: the VNFM's and this VM's clocks differ by more than max_command_age (${seconds(this.maxAgeMs)})`;
    return undefined;
  }

  /** Why this signed command must not run (too old, or its id already ran), or undefined — then it is remembered as run. */
  admit(correlationId: string, signedAt: number): string | undefined {
    const tooOld = this.checkAge(signedAt);
    if (tooOld !== undefined) return tooOld;
    const now = this.now();
    if (this.seen.has(correlationId)) return 'its correlation id was already used by a command this agent ran (a replay)';
    this.seen.set(correlationId, signedAt);
    this.forget(now);
    if (this.options.file !== undefined) {
      // Synchronous, a few microseconds; not synced: a crash of the agent keeps it (page cache), a power cut may not.
      appendFileSync(this.options.file, `${signedAt} ${JSON.stringify(correlationId)}\n`, { mode: 0o600 });
      this.lines += 1;
      if (this.lines > 2 * this.seen.size + 64) this.rewrite();
    }
    return undefined;
  }

  private forget(now: number): void {
    for (const [id, signedAt] of this.seen) {
      const expired = this.maxAgeMs > 0 && now - signedAt > this.maxAgeMs;
      if (!expired && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(id);
    }
  }

  /** Replaces the file with the live entries, atomically. */
  private rewrite(): void {
    const { file } = this.options;
    if (file === undefined) return;
    const text = [...this.seen].map(([id, signedAt]) => `${signedAt} ${JSON.stringify(id)}\n`).join('');
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.lines = this.seen.size;
  }
}
