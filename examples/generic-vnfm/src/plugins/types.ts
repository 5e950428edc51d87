import type { VNFCInstance, VNFRecordDependency, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { EnvMap } from '../env/index.js';
import type { PackageFile } from '../lifecycle/agent-channel.js';
import type { PlanAdjustment, ScriptSource } from '../lifecycle/generic-lifecycle.js';
import type { CommandReply } from '../lifecycle/run-plan.js';

/** The events a lifecycle plug-in may wrap or replace (`around.<hook>`). */
export type PluginEvent = 'INSTANTIATE' | 'CONFIGURE' | 'START' | 'STOP' | 'SCALE_OUT' | 'SCALE_IN' | 'HEAL' | 'TERMINATE' | 'UPDATE';

/** A VNFC an agent command goes to: its hostname, or the VNFC instance itself. */
export type AgentTarget = string | { hostname?: string | null };

/**
 * EMS commands of a plug-in, sent through the Generic VNFM's own EmsClient (same broker connection, same
 * signing keys, same command timeout). Both resolve with the agent's reply whatever its exit status (check
 * `status`) and reject only when the agent does not answer.
 */
export interface PluginAgent {
  /**
   * `EXECUTE` of a script in the VM's script directory (`payload`: file name, then arguments). Without `env`
   * it runs like the NFVO's ad-hoc EXECUTE (no environment from the VNFR); with `env`, with exactly that one.
   */
  execute(target: AgentTarget, payload: string, options?: { env?: EnvMap }): Promise<CommandReply>;
  /** `SAVE_SCRIPTS` of one file into the VM's script directory (then `execute` it by name). */
  save(target: AgentTarget, file: { name: string; content: string | Uint8Array }): Promise<CommandReply>;
}

/**
 * Runs the generic flow of the event (or the next plug-in serving the VNFR, which ends in the generic flow),
 * optionally with an {@link PlanAdjustment}: extra environment, or a rewritten script plan. Call it at most
 * once for the usual "wrap"; do not call it to replace the event. Its failure (a script failed) is the
 * event's failure as without plug-ins (recorded for RESUME); rethrow it unchanged.
 */
export type Next = (adjust?: PlanAdjustment) => Promise<void>;

/** What every hook gets. */
export interface PluginContext {
  /** The event (SCALE_OUT runs INSTANTIATE, CONFIGURE and START on the new VNFC within one hook). */
  event: PluginEvent;
  /** The plug-in's own name. */
  plugin: string;
  /** The VNFR of the command; the generic flow updates it in place (VNFC states) and it is what the NFVO gets back. */
  vnfr: VirtualNetworkFunctionRecord;
  /** The VNFCs the event's scripts run on (START/STOP of one VNFC: that one; SCALE_OUT: the new one). */
  vnfcs: VNFCInstance[];
  agent: PluginAgent;
  /** The VNFM's logger, with `plugin`, `event` and the VNFR's id and name bound. */
  logger: Logger;
  /** Fails the operation: throws an error the VNFM reports (ERROR to the NFVO) naming the plug-in. */
  fail(message: string): never;
}

export interface InstantiatePluginContext extends PluginContext {
  /** The package's scripts the generic flow ships to every VM before the INSTANTIATE scripts. */
  scripts: ScriptSource;
}
export interface ConfigurePluginContext extends PluginContext {
  dependency: VNFRecordDependency | undefined;
}
export interface StartStopPluginContext extends PluginContext {
  /** The one VNFC of the command, or `undefined` for the whole VNFR. */
  vnfc: VNFCInstance | undefined;
}
export interface ScaleOutPluginContext extends PluginContext {
  /** The new VNFC. */
  vnfc: VNFCInstance;
  dependency: VNFRecordDependency | undefined;
  /** The new VNFC is a standby one: the generic flow skips its START. */
  standby: boolean;
}
export interface ScaleInPluginContext extends PluginContext {
  /** The source VNFC the NFVO removes (`vnfr` is the dependency target whose SCALE_IN scripts run). */
  removed: VNFCInstance;
}
export interface HealPluginContext extends PluginContext {
  vnfc: VNFCInstance;
  cause: string;
}
export interface UpdatePluginContext extends PluginContext {
  /** The updated script (SCRIPTS_UPDATE on every VNFC), or `undefined` for "run the UPDATE scripts". */
  script: PackageFile | undefined;
}
export type TerminatePluginContext = PluginContext;

/** Wraps or replaces one event: do work before/after `await next()`, or never call it. Throwing fails the operation. */
export type AroundHook<C extends PluginContext> = (ctx: C, next: Next) => Promise<void>;

/** The hooks of {@link LifecyclePlugin.around}, one per event; an event without one keeps the generic flow. */
export interface AroundHooks {
  /** INSTANTIATE: wait for the agents, ship the scripts, run INSTANTIATE (`next`). */
  instantiate?: AroundHook<InstantiatePluginContext>;
  /** MODIFY: the CONFIGURE scripts with the dependency. */
  configure?: AroundHook<ConfigurePluginContext>;
  start?: AroundHook<StartStopPluginContext>;
  stop?: AroundHook<StartStopPluginContext>;
  /** SCALE_OUT: the new VNFC's INSTANTIATE, CONFIGURE and START (`next` runs the three). */
  scaleOut?: AroundHook<ScaleOutPluginContext>;
  /** SCALE_IN on a dependency target: its SCALE_IN scripts with the removed VNFC's `removing_*`. */
  scaleIn?: AroundHook<ScaleInPluginContext>;
  heal?: AroundHook<HealPluginContext>;
  /** RELEASE_RESOURCES: the TERMINATE scripts, then the VNFR's resume record and logs are forgotten. */
  terminate?: AroundHook<TerminatePluginContext>;
  update?: AroundHook<UpdatePluginContext>;
}

/** Input of {@link LifecyclePlugin.chooseScaleIn}. */
export interface ChooseScaleInContext {
  plugin: string;
  vnfr: VirtualNetworkFunctionRecord;
  /** The VNFCs that could go: every VNFC instance of the VNFR. */
  candidates: VNFCInstance[];
  agent: PluginAgent;
  logger: Logger;
}

/** Which VNFRs a plug-in serves: a VNFR matches when its `type` is in `types` or its name (= VNFD name) in `vnfdNames`. */
export interface PluginServes {
  types?: readonly string[];
  vnfdNames?: readonly string[];
}

/** A lifecycle plug-in: function-specific handling of some events of some VNF types (SONATA's FSMs). */
export interface LifecyclePlugin {
  /** Named in logs and in every error the plug-in causes. */
  name: string;
  serves: PluginServes;
  around?: AroundHooks;
  /**
   * Picks the VNFC to remove when the VNFR scales in, or `undefined` for no preference. Open Baton's NFVO never
   * asks a VNFM (it picks the VNFC and sends SCALE_IN to the dependency targets): this is what
   * `GenericVnfm.chooseScaleIn(vnfr)` answers, for whatever asks the NFVO to remove one given VNFC instance
   * (its REST call for a given VNFC instance, an autoscaler, the NfvoSimulator's `scaleIn(…, hostname)`).
   */
  chooseScaleIn?: (ctx: ChooseScaleInContext) => Promise<VNFCInstance | undefined> | VNFCInstance | undefined;
}
