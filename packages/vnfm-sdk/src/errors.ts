import { ErrorCode, VnfkitError, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';

/**
 * Thrown when the NFVO answers a request (grant, allocate, scaling) with ERROR (`OrVnfmErrorMessage`). `vnfr` is
 * the record the NFVO has just saved (with id and hbVersion): the VNFM's ERROR reply must carry it, so that the
 * NFVO's ErrorTask updates that record.
 */
export class NfvoRefusedError extends VnfkitError {
  constructor(
    readonly request: string,
    readonly nfvoMessage: string,
    readonly vnfr?: VirtualNetworkFunctionRecord,
  ) {
    super(ErrorCode.NFVO_REFUSED, `NFVO refused ${request}: ${nfvoMessage}`);
  }
}
Object.defineProperty(NfvoRefusedError.prototype, 'name', { value: 'NfvoRefusedError' });

/** Thrown when an EMS agent answers a command with a non-zero status. */
export class EmsCommandError extends VnfkitError {
  constructor(readonly details: { hostname: string; command: string; script?: string; status: number; stderr: string; stdout: string }) {
    const tail = details.stderr.trim().split('\n').slice(-5).join('\n');
    super(
      ErrorCode.EMS_COMMAND,
      `${details.command}${details.script ? ` of ${details.script}` : ''} failed on ${details.hostname} with exit status ${details.status}${tail ? `: ${tail}` : ''}`,
    );
  }
}
Object.defineProperty(EmsCommandError.prototype, 'name', { value: 'EmsCommandError' });

/** Thrown when a VM's EMS agent never said hello within the deadline. */
export class EmsTimeoutError extends VnfkitError {
  constructor(
    readonly hostname: string,
    readonly timeoutMs: number,
    readonly brokerAddress: string,
  ) {
    super(
      ErrorCode.EMS_TIMEOUT,
      `Timeout waiting for EMS: ${hostname} did not register within ${timeoutMs} ms; check that the VM runs vnfkit-ems and reaches the broker at ${brokerAddress}`,
    );
  }
}
Object.defineProperty(EmsTimeoutError.prototype, 'name', { value: 'EmsTimeoutError' });

/**
 * Thrown when a command is given up because the agent it waits for is gone: the broker has shown no consumer on the
 * agent's actions queue `vnfm.<hostname>.actions` (no queue, or a queue nobody consumes) for `absentMs`, at least the
 * EmsClient's `agentAbsenceTimeoutMs`. The command may have run in part (a script cut short) or not at all.
 */
export class EmsAgentGoneError extends VnfkitError {
  constructor(
    readonly details: {
      hostname: string;
      command: string;
      script?: string;
      absentMs: number;
      boundMs: number;
      seen: 'no queue' | 'no consumer';
    },
  ) {
    const what = `${details.command}${details.script ? ` of ${details.script}` : ''}`;
    super(
      ErrorCode.EMS_AGENT_GONE,
      `${what} on ${details.hostname} failed: agent gone — the broker has shown ${details.seen === 'no queue' ? 'no actions queue' : 'no consumer on the actions queue'} vnfm.${details.hostname}.actions ` +
        `for ${(details.absentMs / 1000).toFixed(1)} s (bound ${(details.boundMs / 1000).toFixed(1)} s): its VM is down, cut off from the broker, or its agent stopped; ` +
        'the command may have run in part; RESUME once the agent is back',
    );
  }

  get hostname(): string {
    return this.details.hostname;
  }
}
Object.defineProperty(EmsAgentGoneError.prototype, 'name', { value: 'EmsAgentGoneError' });

/**
 * Thrown when signing is on and an agent cannot be trusted: its hello says it does not verify signed commands (nothing
 * was sent), no key is known for its host, or its reply is not signed by that VM's key (the reply is not used).
 */
export class EmsUntrustedError extends VnfkitError {
  constructor(
    readonly hostname: string,
    readonly reason: string,
  ) {
    super(ErrorCode.EMS_UNTRUSTED, `EMS of ${hostname} refused: ${reason}`);
  }
}
Object.defineProperty(EmsUntrustedError.prototype, 'name', { value: 'EmsUntrustedError' });
