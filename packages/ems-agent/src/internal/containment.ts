import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Name of the variable that marks every process of one script run. The agent sets it (last, so
 * the VNFM's `env` cannot override it) to a random token per run; children inherit it, also the
 * ones that leave the process group with `setsid` or get re-parented to init.
 */
export const EXECUTION_MARKER_ENV = 'VNFKIT_EXECUTION_ID';

/** Rounds of scan + SIGKILL before {@link ProcessTreeMarker.killAll} gives up (a tree that forks faster than it dies). */
const KILL_ROUNDS = 50;

/**
 * Finds and signals the processes of one script run beyond its process group, through `/proc`:
 * a process belongs to the run when its initial environment (`/proc/<pid>/environ`) holds
 * `VNFKIT_EXECUTION_ID=<token>`. Limits: a process that was exec'ed with a cleared environment
 * (`env -i`, `sudo` with `env_reset`) or that overwrote its environment block is not found, and
 * without a readable `/proc` nothing is found (the process-group kill still applies).
 */
export class ProcessTreeMarker {
  /** Random per run; never reused. */
  readonly token = randomBytes(12).toString('hex');
  private readonly needle = Buffer.from(`${EXECUTION_MARKER_ENV}=${this.token}\0`);

  /** The environment entry to add to the script's environment. */
  get env(): Record<string, string> {
    return { [EXECUTION_MARKER_ENV]: this.token };
  }

  /** Pids of the live (non-zombie) processes carrying the marker. */
  find(): number[] {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [];
    }
    const found: number[] = [];
    for (const entry of entries) {
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue;
      const pid = Number(entry);
      if (pid === process.pid) continue;
      try {
        // A zombie's environ reads empty, so it never matches.
        if (readFileSync(`/proc/${entry}/environ`).includes(this.needle)) found.push(pid);
      } catch {
        // Gone meanwhile, or not readable (not root): skip.
      }
    }
    return found;
  }

  /** Sends `signal` to every marked process; returns how many were signalled. */
  signal(signal: NodeJS.Signals): number {
    let sent = 0;
    for (const pid of this.find()) {
      try {
        process.kill(pid, signal);
        sent += 1;
      } catch {
        // Exited between the scan and the kill.
      }
    }
    return sent;
  }

  /** True while any marked process is alive. */
  alive(): boolean {
    return this.find().length > 0;
  }

  /** SIGKILLs marked processes until none is left (bounded); returns how many kills were sent. */
  killAll(): number {
    let total = 0;
    for (let round = 0; round < KILL_ROUNDS; round += 1) {
      const sent = this.signal('SIGKILL');
      if (sent === 0) break;
      total += sent;
    }
    return total;
  }
}
