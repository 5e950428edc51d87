import { z } from 'zod';
import { StringMap } from '../catalogue/base.js';
import { VirtualLinkRecord, VirtualNetworkFunctionDescriptor, DeploymentFlavour } from '../catalogue/descriptors.js';
import { VNFCInstance, VNFComponent, VNFRecordDependency, VirtualNetworkFunctionRecord as Vnfr } from '../catalogue/records.js';
import { Key, Script, VimInstance, VNFPackage } from '../catalogue/resources.js';

// ---- NFVO → VNFM (commands on <endpoint>, and answers to the VNFM's requests) ----

/** INSTANTIATE command; `vnfr` is present only when the NFVO restarts a VNFR. */
export const OrVnfmInstantiateMessage = z.looseObject({
  action: z.literal('INSTANTIATE'),
  vnfd: VirtualNetworkFunctionDescriptor,
  vnfdf: DeploymentFlavour.optional(),
  vnfInstanceName: z.string().optional(),
  vlrs: z.array(VirtualLinkRecord).optional(),
  extension: StringMap.optional(),
  vimInstances: z.record(z.string(), z.array(VimInstance)).optional(),
  vnfPackage: VNFPackage.optional(),
  keys: z.array(Key).optional(),
  vnfr: Vnfr.optional(),
});
/** INSTANTIATE command. */
export type OrVnfmInstantiateMessage = z.infer<typeof OrVnfmInstantiateMessage>;

/** The NFVO's answer to GRANT_OPERATION: `vduVim` maps VNFR VDU id → the chosen VIM. */
export const OrVnfmGrantLifecycleOperationMessage = z.looseObject({
  action: z.literal('GRANT_OPERATION'),
  grantAllowed: z.boolean().optional(),
  vduVim: z.record(z.string(), VimInstance).optional(),
  virtualNetworkFunctionRecord: Vnfr,
});
/** The NFVO's answer to GRANT_OPERATION. */
export type OrVnfmGrantLifecycleOperationMessage = z.infer<typeof OrVnfmGrantLifecycleOperationMessage>;

/** SCALE_OUT / SCALE_IN command (the record is the *target* VNFR for SCALE_IN). */
export const OrVnfmScalingMessage = z.looseObject({
  action: z.enum(['SCALE_OUT', 'SCALE_IN', 'SCALING']),
  component: VNFComponent.optional(),
  vnfcInstance: VNFCInstance.optional(),
  vimInstance: VimInstance.optional(),
  vnfPackage: VNFPackage.optional(),
  virtualNetworkFunctionRecord: Vnfr,
  dependency: VNFRecordDependency.optional(),
  mode: z.string().optional(),
  extension: StringMap.optional(),
});
/** SCALE_OUT / SCALE_IN command. */
export type OrVnfmScalingMessage = z.infer<typeof OrVnfmScalingMessage>;

/** HEAL command. */
export const OrVnfmHealVNFRequestMessage = z.looseObject({
  action: z.literal('HEAL'),
  vnfcInstance: VNFCInstance.optional(),
  virtualNetworkFunctionRecord: Vnfr,
  cause: z.string().optional(),
});
/** HEAL command. */
export type OrVnfmHealVNFRequestMessage = z.infer<typeof OrVnfmHealVNFRequestMessage>;

/** UPDATE command: with `script` a script update, without one "run the UPDATE scripts". */
export const OrVnfmUpdateMessage = z.looseObject({ action: z.literal('UPDATE'), script: Script.optional(), vnfr: Vnfr });
/** UPDATE command. */
export type OrVnfmUpdateMessage = z.infer<typeof OrVnfmUpdateMessage>;

/** START / STOP command; no `vnfcInstance` means the whole VNFR. */
export const OrVnfmStartStopMessage = z.looseObject({
  action: z.enum(['START', 'STOP']),
  virtualNetworkFunctionRecord: Vnfr,
  vnfcInstance: VNFCInstance.optional(),
  vnfrDependency: VNFRecordDependency.optional(),
});
/** START / STOP command. */
export type OrVnfmStartStopMessage = z.infer<typeof OrVnfmStartStopMessage>;

/** ERROR from the NFVO: a refused request, or a task that failed on a VNFR. */
export const OrVnfmErrorMessage = z.looseObject({ action: z.literal('ERROR'), vnfr: Vnfr.optional(), message: z.string().optional() });
/** ERROR from the NFVO. */
export type OrVnfmErrorMessage = z.infer<typeof OrVnfmErrorMessage>;

/** LOG_REQUEST command. */
export const OrVnfmLogMessage = z.looseObject({
  action: z.literal('LOG_REQUEST'),
  vnfrName: z.string().optional(),
  hostname: z.string().optional(),
});
/** LOG_REQUEST command. */
export type OrVnfmLogMessage = z.infer<typeof OrVnfmLogMessage>;

/** EXECUTE command: run an ad-hoc script on every VNFC. */
export const OrVnfmExecuteScriptMessage = z.looseObject({ action: z.literal('EXECUTE'), script: Script, vnfr: Vnfr });
/** EXECUTE command. */
export type OrVnfmExecuteScriptMessage = z.infer<typeof OrVnfmExecuteScriptMessage>;

/** Every other NFVO message (MODIFY, RELEASE_RESOURCES, RESUME, CONFIGURE, and the ALLOCATE_RESOURCES / SCALED / UPDATEVNFR answers). */
export const OrVnfmGenericMessage = z.looseObject({
  action: z.enum(['MODIFY', 'RELEASE_RESOURCES', 'RESUME', 'CONFIGURE', 'ALLOCATE_RESOURCES', 'SCALED', 'UPDATEVNFR']),
  vnfr: Vnfr,
  vnfrd: VNFRecordDependency.optional(),
});
/** Every other NFVO message. */
export type OrVnfmGenericMessage = z.infer<typeof OrVnfmGenericMessage>;

const genericActions = OrVnfmGenericMessage.shape.action.options;

/** Any message the NFVO sends to a VNFM, discriminated on `action`. */
export const NfvoCommand = z.discriminatedUnion('action', [
  OrVnfmInstantiateMessage,
  OrVnfmGrantLifecycleOperationMessage,
  OrVnfmScalingMessage,
  OrVnfmHealVNFRequestMessage,
  OrVnfmUpdateMessage,
  OrVnfmStartStopMessage,
  OrVnfmErrorMessage,
  OrVnfmLogMessage,
  OrVnfmExecuteScriptMessage,
  OrVnfmGenericMessage,
]);
/** Any message the NFVO sends to a VNFM. */
export type NfvoCommand = z.infer<typeof NfvoCommand>;

// ---- VNFM → NFVO (replies and requests) ----

/** ALLOCATE_RESOURCES request; `keyPairs` must be present or the NFVO never answers. */
export const VnfmOrAllocateResourcesMessage = z.looseObject({
  action: z.literal('ALLOCATE_RESOURCES'),
  virtualNetworkFunctionRecord: Vnfr,
  vimInstances: z.record(z.string(), VimInstance),
  userdata: z.string().optional(),
  keyPairs: z.array(Key),
});
/** ALLOCATE_RESOURCES request. */
export type VnfmOrAllocateResourcesMessage = z.infer<typeof VnfmOrAllocateResourcesMessage>;

/** A Gson-serialised `java.lang.Exception`; the NFVO shows `detailMessage`. */
export const JavaException: z.ZodType<JavaException> = z.lazy(() =>
  z.looseObject({
    detailMessage: z.string(),
    cause: JavaException.optional(),
    stackTrace: z.array(z.unknown()).optional(),
    suppressedExceptions: z.array(z.unknown()).optional(),
  }),
);
/** A Gson-serialised `java.lang.Exception`. */
export interface JavaException {
  detailMessage: string;
  cause?: JavaException | undefined;
  stackTrace?: unknown[] | undefined;
  suppressedExceptions?: unknown[] | undefined;
  [key: string]: unknown;
}

/** ERROR from the VNFM: the VNFR failed. */
export const VnfmOrErrorMessage = z.looseObject({
  action: z.literal('ERROR'),
  virtualNetworkFunctionRecord: Vnfr.optional(),
  nsrId: z.string().optional(),
  exception: JavaException.optional(),
});
/** ERROR from the VNFM. */
export type VnfmOrErrorMessage = z.infer<typeof VnfmOrErrorMessage>;

/** INSTANTIATE reply. */
export const VnfmOrInstantiateMessage = z.looseObject({ action: z.literal('INSTANTIATE'), virtualNetworkFunctionRecord: Vnfr });
/** INSTANTIATE reply. */
export type VnfmOrInstantiateMessage = z.infer<typeof VnfmOrInstantiateMessage>;

/** SCALED reply to SCALE_OUT; the NFVO dereferences `vnfcInstance`, so it is required. */
export const VnfmOrScaledMessage = z.looseObject({
  action: z.literal('SCALED'),
  virtualNetworkFunctionRecord: Vnfr,
  vnfcInstance: VNFCInstance,
});
/** SCALED reply. */
export type VnfmOrScaledMessage = z.infer<typeof VnfmOrScaledMessage>;

/** SCALING request (note `userData` with a capital D). */
export const VnfmOrScalingMessage = z.looseObject({
  action: z.literal('SCALING'),
  virtualNetworkFunctionRecord: Vnfr,
  userData: z.string().optional(),
  vimInstance: VimInstance.optional(),
});
/** SCALING request. */
export type VnfmOrScalingMessage = z.infer<typeof VnfmOrScalingMessage>;

/** HEAL reply; echo `cause`. */
export const VnfmOrHealedMessage = z.looseObject({
  action: z.literal('HEAL'),
  virtualNetworkFunctionRecord: Vnfr,
  vnfcInstance: VNFCInstance.optional(),
  cause: z.string().optional(),
});
/** HEAL reply. */
export type VnfmOrHealedMessage = z.infer<typeof VnfmOrHealedMessage>;

/** START / STOP reply. */
export const VnfmOrStartStopMessage = z.looseObject({
  action: z.enum(['START', 'STOP']),
  virtualNetworkFunctionRecord: Vnfr,
  vnfcInstance: VNFCInstance.optional(),
  vnfrDependency: VNFRecordDependency.optional(),
});
/** START / STOP reply. */
export type VnfmOrStartStopMessage = z.infer<typeof VnfmOrStartStopMessage>;

/** LOG_REQUEST reply. */
export const VnfmOrLogMessage = z.looseObject({
  action: z.literal('LOG_REQUEST'),
  outputLog: z.array(z.string()),
  errorLog: z.array(z.string()),
});
/** LOG_REQUEST reply. */
export type VnfmOrLogMessage = z.infer<typeof VnfmOrLogMessage>;

/** Every other VNFM message (GRANT_OPERATION, MODIFY, RELEASE_RESOURCES, UPDATE, UPDATEVNFR, CONFIGURE, EXECUTE…). */
export const VnfmOrGenericMessage = z.looseObject({
  action: z.enum(['GRANT_OPERATION', 'MODIFY', 'RELEASE_RESOURCES', 'UPDATE', 'UPDATEVNFR', 'CONFIGURE', 'EXECUTE', 'RESUME']),
  virtualNetworkFunctionRecord: Vnfr,
  vnfRecordDependency: VNFRecordDependency.optional(),
});
/** Every other VNFM message. */
export type VnfmOrGenericMessage = z.infer<typeof VnfmOrGenericMessage>;

/** Any message a VNFM sends to the NFVO, discriminated on `action`. */
export const VnfmMessage = z.discriminatedUnion('action', [
  VnfmOrAllocateResourcesMessage,
  VnfmOrErrorMessage,
  VnfmOrInstantiateMessage,
  VnfmOrScaledMessage,
  VnfmOrScalingMessage,
  VnfmOrHealedMessage,
  VnfmOrStartStopMessage,
  VnfmOrLogMessage,
  VnfmOrGenericMessage,
]);
/** Any message a VNFM sends to the NFVO. */
export type VnfmMessage = z.infer<typeof VnfmMessage>;

/** The VNFR of a message, whichever of the two field names it uses. */
export function recordOf(message: object): Vnfr | undefined {
  const m = message as { virtualNetworkFunctionRecord?: Vnfr; vnfr?: Vnfr };
  return m.virtualNetworkFunctionRecord ?? m.vnfr;
}

/** Every VNFC instance of a VNFR, across its VDUs, in order. */
export function allVnfcs(vnfr: Vnfr): VNFCInstance[] {
  return (vnfr.vdu ?? []).flatMap((vdu) => vdu.vnfc_instance ?? []);
}

/** The dependency of a message, whichever of its names (`vnfrd`, `dependency`, `vnfrDependency`, `vnfRecordDependency`) it uses. */
export function dependencyOf(message: object): VNFRecordDependency | undefined {
  const m = message as Record<string, VNFRecordDependency | undefined>;
  return m['vnfrd'] ?? m['dependency'] ?? m['vnfrDependency'] ?? m['vnfRecordDependency'];
}

/** Builds the ERROR a VNFM reports for a failed VNFR, with a Go-SDK-style exception object. */
export function vnfmErrorMessage(input: { vnfr?: Vnfr | undefined; nsrId?: string | undefined; message: string }): VnfmOrErrorMessage {
  const detail = input.message.slice(0, 4096);
  const msg: VnfmOrErrorMessage = {
    action: 'ERROR',
    exception: {
      detailMessage: detail,
      stackTrace: [],
      suppressedExceptions: [],
      cause: { detailMessage: detail, stackTrace: [], suppressedExceptions: [] },
    },
  };
  if (input.vnfr) msg.virtualNetworkFunctionRecord = input.vnfr;
  const nsrId = input.nsrId ?? input.vnfr?.parent_ns_id;
  if (nsrId !== undefined) msg.nsrId = nsrId;
  return msg;
}

/** True when `action` is one of the generic NFVO message actions. */
export function isGenericNfvoAction(action: string): boolean {
  return (genericActions as readonly string[]).includes(action);
}
