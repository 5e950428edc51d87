// What the SDK hands a VNFM's hooks: one context type per hook (the public API, re-exported by `vnfm.ts` and the
// package index), and `VnfmHooks`, the hooks of an `AbstractVnfm` as bound callbacks for the flows.
import type {
  OrVnfmInstantiateMessage,
  Script,
  VNFCInstance,
  VNFComponent,
  VNFPackage,
  VNFRecordDependency,
  VirtualNetworkFunctionRecord,
} from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { JournalStep } from '../journal/operation-journal.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** Every hook context carries the VNFR as last returned by the NFVO and a child logger bound to it. */
export interface HookContext {
  vnfr: Vnfr;
  logger: Logger;
}
/** Input of {@link AbstractVnfm.instantiate}: the granted, allocated VNFR and the INSTANTIATE message. */
export interface InstantiateContext extends HookContext {
  message: OrVnfmInstantiateMessage;
  vnfPackage: VNFPackage | undefined;
  scripts: Script[];
  extension: Record<string, string>;
  /** True when the NFVO restarts an existing VNFR (INSTANTIATE with `vnfr`). */
  restart: boolean;
}
/**
 * Input of {@link AbstractVnfm.validateInstantiate}: the INSTANTIATE message and the VNFR built from its VNFD
 * (nothing granted or allocated yet), or the NFVO's VNFR on a restart.
 */
export interface ValidateInstantiateContext extends HookContext {
  message: OrVnfmInstantiateMessage;
  /** True when the NFVO restarts an existing VNFR (INSTANTIATE with `vnfr`). */
  restart: boolean;
}
/** Input of {@link AbstractVnfm.modify}. */
export interface ModifyContext extends HookContext {
  dependency: VNFRecordDependency | undefined;
}
/** Input of {@link AbstractVnfm.start} / {@link AbstractVnfm.stop}: no `vnfcInstance` means the whole VNFR. */
export interface StartStopContext extends HookContext {
  vnfcInstance: VNFCInstance | undefined;
}
/** Input of {@link AbstractVnfm.scaleOut}: `vnfcInstance` is the new VM (state STANDBY when `mode` is standby). */
export interface ScaleOutContext extends HookContext {
  vnfcInstance: VNFCInstance;
  component: VNFComponent;
  dependency: VNFRecordDependency | undefined;
  mode: string | undefined;
  vnfPackage: VNFPackage | undefined;
  extension: Record<string, string>;
}
/** Input of {@link AbstractVnfm.scaleIn}: `vnfr` is the dependency *target*, `vnfcInstance` the removed source VNFC. */
export interface ScaleInContext extends HookContext {
  vnfcInstance: VNFCInstance | undefined;
}
/** Input of {@link AbstractVnfm.heal}. */
export interface HealContext extends HookContext {
  vnfcInstance: VNFCInstance | undefined;
  cause: string | undefined;
}
/** Input of {@link AbstractVnfm.update}: with `script` a script update, without one "run UPDATE". */
export interface UpdateContext extends HookContext {
  script: Script | undefined;
}
/** Input of {@link AbstractVnfm.execute}. */
export interface ExecuteContext extends HookContext {
  script: Script;
}
/** Input of {@link AbstractVnfm.resume}. */
export interface ResumeContext extends HookContext {
  dependency: VNFRecordDependency | undefined;
}
/** Input of {@link AbstractVnfm.onNfvoError}. */
export interface NfvoErrorContext {
  vnfr: Vnfr | undefined;
  message: string;
  logger: Logger;
}
/** What {@link AbstractVnfm.resume} returns: the action that was resumed (the NFVO continues from it). */
export interface ResumeResult {
  action: 'INSTANTIATE' | 'MODIFY' | 'START' | 'STOP' | 'RELEASE_RESOURCES' | 'HEAL' | 'UPDATE' | 'ERROR';
  vnfr: Vnfr;
}
/** Input of {@link AbstractVnfm.userData}. */
export interface UserDataContext {
  vnfr: Vnfr;
  extension: Record<string, string>;
  vnfPackage: VNFPackage | undefined;
}

/** Input of {@link AbstractVnfm.onInterrupted}: a command a previous VNFM process received but never answered. */
export interface InterruptedContext {
  action: string;
  /** The VNFR as far as the command got (the granted or allocated one for INSTANTIATE), if known. */
  vnfr: Vnfr | undefined;
  /** The last step recorded before the crash. */
  step: JournalStep;
  logger: Logger;
}

/** Lifecycle state of a VNFM runtime. */
export type VnfmState = 'idle' | 'connecting' | 'running' | 'closing' | 'closed' | 'failed';

/**
 * The hooks of an `AbstractVnfm` (protected methods there), bound to the instance, as the delivery handling,
 * dispatch and the NFVO request flows call them. Each of those takes only the ones it needs.
 */
export interface VnfmHooks {
  validateInstantiate(ctx: ValidateInstantiateContext): void | Promise<void>;
  instantiate(ctx: InstantiateContext): Promise<Vnfr>;
  modify(ctx: ModifyContext): Promise<Vnfr>;
  start(ctx: StartStopContext): Promise<Vnfr>;
  stop(ctx: StartStopContext): Promise<Vnfr>;
  terminate(ctx: HookContext): Promise<Vnfr>;
  scaleOut(ctx: ScaleOutContext): Promise<Vnfr>;
  scaleIn(ctx: ScaleInContext): Promise<void>;
  heal(ctx: HealContext): Promise<Vnfr>;
  update(ctx: UpdateContext): Promise<Vnfr>;
  execute(ctx: ExecuteContext): Promise<Vnfr>;
  resume(ctx: ResumeContext): Promise<ResumeResult>;
  onNfvoError(ctx: NfvoErrorContext): Promise<void>;
  logs(input: { vnfrName: string | undefined; hostname: string | undefined }): Promise<{ outputLog: string[]; errorLog: string[] }>;
  userData(ctx: UserDataContext): string;
  onInterrupted(ctx: InterruptedContext): Promise<void>;
  allocate(ctx: HookContext & { vduVim: Record<string, unknown> }): Promise<Vnfr>;
}
