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
  constructor(
    readonly details: { hostname: string; command: string; script?: string; status: number; stderr: string; stdout: string },
  ) {
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
