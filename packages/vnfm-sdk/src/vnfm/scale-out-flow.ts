/** The SCALE_OUT flow: SCALING (the NFVO creates the VM), then the `scaleOut` hook; the reply is SCALED. */
import { ProtocolError, allVnfcs, recordOf, type NfvoCommand, type OrVnfmScalingMessage, type VnfmMessage } from '@vnfkit/protocol';
import { NfvoRefusedError } from '../errors.js';
import { requestNfvo } from '../nfvo/nfvo-client.js';
import type { FlowInput } from './flow.js';
import { findVnfc } from './records.js';

/** The hooks the SCALE_OUT flow calls. */
export type ScaleOutHooks = 'userData' | 'scaleOut' | 'onNfvoError';

/** Input of {@link runScaleOut}. */
export interface ScaleOutFlowInput extends FlowInput<ScaleOutHooks> {
  message: OrVnfmScalingMessage;
}

/**
 * SCALING, then the `scaleOut` hook. As the Java SDK (AbstractVnfm.java 6.0.0:236-247): a refused SCALING
 * (ERROR) goes to `onNfvoError` with the NFVO's VNFR and the reply is `null`; a `null` answer leaves the
 * VNFR as the command had it, so no new VNFC is found and the reply is ERROR.
 */
export async function runScaleOut({ message, logger, transport, options, hooks }: ScaleOutFlowInput): Promise<VnfmMessage | null> {
  let vnfr = message.virtualNetworkFunctionRecord;
  const extension = message.extension ?? {};
  const scaling: VnfmMessage = {
    action: 'SCALING',
    virtualNetworkFunctionRecord: vnfr,
    userData: hooks.userData({ vnfr, extension, vnfPackage: message.vnfPackage }),
  };
  if (message.vimInstance) scaling.vimInstance = message.vimInstance;
  let answer: NfvoCommand | null;
  try {
    answer = await requestNfvo(transport, {
      message: scaling,
      timeoutMs: options.allocateTimeoutMs,
      what: `SCALING of VNFR ${vnfr.name ?? ''}`,
    });
  } catch (error) {
    if (!(error instanceof NfvoRefusedError)) throw error;
    logger.error(
      { nfvoMessage: error.nfvoMessage },
      'the NFVO refused SCALING; handing its VNFR to onNfvoError and replying null (as the Java VNFM SDK)',
    );
    await hooks.onNfvoError({ vnfr: error.vnfr, message: error.nfvoMessage, logger });
    return null;
  }
  if (answer === null)
    logger.error('the NFVO answered null to SCALING (its task failed, or the NSR is gone); looking for the new VNFC in the VNFR as it was');
  const scaled = answer === null ? vnfr : recordOf(answer);
  if (!scaled) throw new ProtocolError('SCALING answer without a VNFR');
  vnfr = scaled;
  const component = message.component ?? {};
  const vnfcInstance = allVnfcs(vnfr).find((c) => component.id !== undefined && c.vnfComponent?.id === component.id);
  if (!vnfcInstance)
    throw Object.assign(new Error(`SCALING answer has no VNFC instance for component ${component.id ?? '(no id)'}`), { vnfr });
  if (message.mode?.toLowerCase() === 'standby') vnfcInstance.state = 'STANDBY';
  const result = await hooks.scaleOut({
    vnfr,
    vnfcInstance,
    component,
    dependency: message.dependency,
    mode: message.mode,
    vnfPackage: message.vnfPackage,
    extension,
    logger,
  });
  return { action: 'SCALED', virtualNetworkFunctionRecord: result, vnfcInstance: findVnfc(result, vnfcInstance) ?? vnfcInstance };
}
