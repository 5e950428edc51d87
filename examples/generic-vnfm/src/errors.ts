import { VnfkitError } from '@vnfkit/protocol';

/** How much of a failed script's stderr (or stdout, when stderr is empty) goes into the message. */
const TAIL_CHARS = 1500;

function tail(text: string | undefined): string {
  if (!text) return '';
  const trimmed = text.trimEnd();
  return trimmed.length <= TAIL_CHARS ? trimmed : `…${trimmed.slice(trimmed.length - TAIL_CHARS)}`;
}

/** Context of a {@link ScriptFailedError}. */
export interface ScriptFailureDetails {
  vnfrId: string;
  vnfrName: string;
  event: string;
  /** Index of the script in the event's original `lifecycle_events` list. */
  scriptIndex: number;
  scriptName: string;
  /** The script string as run, arguments included. */
  script: string;
  hostname: string;
  /** The agent command that failed. */
  command: 'EXECUTE' | 'SAVE_VNFR_DEPENDENCY';
  /** The script's exit status; absent when the agent did not answer (see `cause`). */
  exitStatus?: number;
  stderr?: string;
  stdout?: string;
  cause?: unknown;
}

/**
 * Thrown when a lifecycle script fails on a VNFC (non-zero exit status, or its agent did not
 * answer). The message names the VNFR, the VNFC hostname, the script, the exit status and the
 * tail of the script's stderr; the SDK turns it into the ERROR reply the NFVO shows.
 */
export class ScriptFailedError extends VnfkitError {
  readonly vnfrId: string;
  readonly vnfrName: string;
  readonly event: string;
  readonly scriptIndex: number;
  readonly scriptName: string;
  readonly script: string;
  readonly hostname: string;
  readonly command: 'EXECUTE' | 'SAVE_VNFR_DEPENDENCY';
  readonly exitStatus: number | undefined;
  readonly stderrTail: string;

  constructor(details: ScriptFailureDetails) {
    const what = details.command === 'EXECUTE' ? `script ${details.script}` : `saving the dependency before ${details.script}`;
    const head = `${details.event} of VNFR ${details.vnfrName}: ${what} failed on ${details.hostname}`;
    const stderrTail = tail(details.stderr) || tail(details.stdout);
    const message =
      details.exitStatus !== undefined
        ? `${head} with exit status ${details.exitStatus}${stderrTail ? `: ${stderrTail}` : ''}`
        : `${head}: ${details.cause instanceof Error ? details.cause.message : String(details.cause)}`;
    super('SCRIPT_FAILED', message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.vnfrId = details.vnfrId;
    this.vnfrName = details.vnfrName;
    this.event = details.event;
    this.scriptIndex = details.scriptIndex;
    this.scriptName = details.scriptName;
    this.script = details.script;
    this.hostname = details.hostname;
    this.command = details.command;
    this.exitStatus = details.exitStatus;
    this.stderrTail = stderrTail;
  }
}

/** Thrown when the resume store cannot be read or written. */
export class ResumeStoreError extends VnfkitError {
  readonly vnfrId: string;

  constructor(message: string, options: { vnfrId: string; cause?: unknown }) {
    super('RESUME_STORE', message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.vnfrId = options.vnfrId;
  }
}

/** Thrown by RESUME when the VNFR has no recorded script failure (upstream's wording kept). */
export class NothingToResumeError extends VnfkitError {
  readonly vnfrId: string;

  constructor(vnfrId: string, vnfrName: string) {
    super(
      'NOTHING_TO_RESUME',
      `Resume is allowed only for VNFRs with script errors: VNFR ${vnfrName} (${vnfrId}) has no recorded script failure`,
    );
    this.vnfrId = vnfrId;
  }
}

/**
 * Thrown when an agent command that is not a lifecycle script fails (`SAVE_SCRIPTS`,
 * `CLONE_SCRIPTS`, `SCRIPTS_UPDATE`, ad-hoc `EXECUTE`): non-zero status or no answer. Such
 * failures are not resumable (there is no script to continue from), as upstream.
 */
export class AgentCommandError extends VnfkitError {
  readonly vnfrName: string;
  readonly hostname: string;
  readonly action: string;
  readonly exitStatus: number | undefined;

  constructor(details: {
    vnfrName: string;
    hostname: string;
    action: string;
    what: string;
    exitStatus?: number;
    err?: string;
    cause?: unknown;
  }) {
    const reason =
      details.exitStatus !== undefined
        ? `status ${details.exitStatus}${details.err ? `: ${tail(details.err)}` : ''}`
        : details.cause instanceof Error
          ? details.cause.message
          : String(details.cause);
    super(
      'AGENT_COMMAND_FAILED',
      `VNFR ${details.vnfrName}: ${details.action} (${details.what}) failed on ${details.hostname}: ${reason}`,
      details.cause !== undefined ? { cause: details.cause } : undefined,
    );
    this.vnfrName = details.vnfrName;
    this.hostname = details.hostname;
    this.action = details.action;
    this.exitStatus = details.exitStatus;
  }
}

/** Thrown when the agents of some VMs never said hello within the start timeout. */
export class AgentNotReadyError extends VnfkitError {
  readonly vnfrName: string;
  readonly hostnames: readonly string[];

  constructor(details: { vnfrName: string; hostnames: readonly string[]; timeoutS: number; cause?: unknown }) {
    super(
      'AGENT_NOT_READY',
      `Timeout waiting for EMS: VNFR ${details.vnfrName}: no hello from the agent of ${details.hostnames.join(', ')} within ${details.timeoutS} s ` +
        '(is the broker reachable from the VM and the agent installed?)',
      details.cause !== undefined ? { cause: details.cause } : undefined,
    );
    this.vnfrName = details.vnfrName;
    this.hostnames = details.hostnames;
  }
}
