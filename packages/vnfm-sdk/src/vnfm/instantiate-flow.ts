/** The INSTANTIATE flow: validate, GRANT_OPERATION, ALLOCATE_RESOURCES (or the `allocate` hook), `instantiate`. */
import { ProtocolError, recordOf, toError, type OrVnfmInstantiateMessage, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import { requestNfvo } from '../nfvo/nfvo-client.js';
import { buildVnfr } from '../vnfr.js';
import type { JournalRecord } from '../journal/operation-journal.js';
import type { FlowInput, Tracker } from './flow.js';
import { withPackageUserData } from './user-data.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** The hooks the INSTANTIATE flow calls. */
export type InstantiateHooks = 'validateInstantiate' | 'instantiate' | 'allocate' | 'userData';

/** Input of {@link runInstantiate}. */
export interface InstantiateFlowInput extends FlowInput<InstantiateHooks> {
  message: OrVnfmInstantiateMessage;
  track: Tracker;
  /** Taken over from a replica that is gone after `allocated`: the VMs exist, only the `instantiate` hook runs. */
  resumeFrom?: JournalRecord | undefined;
}

/**
 * `validateInstantiate`, GRANT_OPERATION, ALLOCATE_RESOURCES (unless the VNFM allocates), then the `instantiate` hook. A refusal
 * (the NFVO's ERROR answer) fails the command with the VNFR the NFVO has just saved; a JSON `null` answer (the
 * NFVO's task failed without a message, or the NSR is gone) ends it with the reply `null`, as the Java SDK does
 * (AbstractVnfm.java 6.0.0:329-331, 353-355): `null` is returned then.
 */
export async function runInstantiate({
  message,
  logger,
  track,
  transport,
  options,
  hooks,
  resumeFrom,
}: InstantiateFlowInput): Promise<Vnfr | null> {
  const extension = message.extension ?? {};
  const base = { message, vnfPackage: message.vnfPackage, scripts: message.vnfPackage?.scripts ?? [], extension };
  if (resumeFrom?.step === 'allocated' && resumeFrom.vnfr) {
    // Granted and allocated once, by the replica that is gone: never again. Its EMS commands are repeated with
    // the same ids, so the agents answer those they ran from their records.
    const vnfr = resumeFrom.vnfr;
    try {
      return await hooks.instantiate({ ...base, vnfr, logger: logger.child({ vnfrId: vnfr.id }), restart: false });
    } catch (error) {
      throw Object.assign(toError(error), { vnfr: (error as { vnfr?: Vnfr }).vnfr ?? vnfr });
    }
  }
  if (message.vnfr) {
    await hooks.validateInstantiate({ message, vnfr: message.vnfr, logger, restart: true });
    return hooks.instantiate({ ...base, vnfr: message.vnfr, logger, restart: true });
  }
  let vnfr = buildVnfr(message);
  try {
    await hooks.validateInstantiate({ message, vnfr, logger, restart: false });
    // Journaled first: a VNFM killed while it waits for the answer reports ERROR with this VNFR after its restart.
    await track('granting', { vnfr, vnfrName: vnfr.name });
    const grant = await requestNfvo(transport, {
      message: { action: 'GRANT_OPERATION', virtualNetworkFunctionRecord: vnfr },
      timeoutMs: options.grantTimeoutMs,
      what: `GRANT_OPERATION for VNFR ${vnfr.name ?? ''}`,
    });
    if (grant === null) return answeredNull(logger, 'GRANT_OPERATION', vnfr);
    if (grant.action !== 'GRANT_OPERATION') throw new ProtocolError(`expected a GRANT_OPERATION answer, got ${grant.action}`);
    if (grant.grantAllowed === false) throw new Error(`NFVO did not grant the resources of VNFR ${vnfr.name ?? ''}`);
    vnfr = grant.virtualNetworkFunctionRecord;
    await track('granted', { vnfr, vnfrId: vnfr.id, vnfrName: vnfr.name });
    const vlog = logger.child({ vnfrId: vnfr.id });
    vlog.info({ hbVersion: vnfr.hbVersion }, 'granted');
    const vduVim = grant.vduVim ?? {};
    if (options.allocate === 'vnfm') {
      vnfr = await hooks.allocate({ vnfr, vduVim, logger: vlog });
      await track('allocated', { vnfr });
    } else {
      const answer = await requestNfvo(transport, {
        message: {
          action: 'ALLOCATE_RESOURCES',
          virtualNetworkFunctionRecord: vnfr,
          vimInstances: vduVim,
          userdata: withPackageUserData(hooks.userData({ vnfr, extension, vnfPackage: message.vnfPackage }), message.vnfPackage),
          keyPairs: message.keys ?? [],
        },
        timeoutMs: options.allocateTimeoutMs,
        what: `ALLOCATE_RESOURCES for VNFR ${vnfr.name ?? ''}`,
      });
      if (answer === null) return answeredNull(vlog, 'ALLOCATE_RESOURCES', vnfr);
      const allocated = recordOf(answer);
      if (!allocated) throw new ProtocolError(`ALLOCATE_RESOURCES answer without a VNFR`);
      vnfr = allocated;
      await track('allocated', { vnfr });
      vlog.info({ hbVersion: vnfr.hbVersion }, 'resources allocated');
    }
    return await hooks.instantiate({ ...base, vnfr, logger: vlog, restart: false });
  } catch (error) {
    // Report ERROR with the VNFR as far as it got (never without one: the NFVO needs it); after a refusal that is
    // the record the NFVO saved, so that its ErrorTask updates it (AbstractVnfm.java 6.0.0:722-727, 794-800).
    throw Object.assign(toError(error), { vnfr: (error as { vnfr?: Vnfr }).vnfr ?? vnfr });
  }
}

/** A `null` answer from the NFVO ends the INSTANTIATE with the reply `null` (see `runInstantiate`). */
function answeredNull(logger: Logger, request: string, vnfr: Vnfr): null {
  logger.error(
    { vnfrName: vnfr.name },
    `the NFVO answered null to ${request} (its task failed without a message, or the NSR was deleted); replying null to INSTANTIATE, as the Java VNFM SDK does`,
  );
  return null;
}
