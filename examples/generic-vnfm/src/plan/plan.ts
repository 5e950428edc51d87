import {
  buildBaseEnv,
  dependencyPayload,
  healEnv,
  mergeEnv,
  removingEnv,
  sourceTypeOf,
  typedDependencyEnvs,
  vnfcEnv,
  type EnvMap,
} from '../env/index.js';
import { scriptsOf, vnfcInstancesOf, type DependencyView, type VnfcView, type VnfrView } from '../internal/records.js';

/** How the VNFCs of one script step run. `parallel`: all at once; `serial`: one after the other. */
export type VnfcConcurrency = 'parallel' | 'serial';

/** The lifecycle events the Generic VNFM runs scripts for. */
export type ScriptEvent = 'INSTANTIATE' | 'CONFIGURE' | 'START' | 'STOP' | 'TERMINATE' | 'SCALE_IN' | 'HEAL' | 'UPDATE' | 'ERROR';

/** One `EXECUTE` of a lifecycle script on one VNFC. */
export interface ExecuteCommand {
  kind: 'execute';
  /** The script string as written in `lifecycle_events`, arguments included. */
  payload: string;
  /** The complete environment of this execution. */
  env: EnvMap;
  /** For a typed CONFIGURE execution: the source VNFC whose parameters `env` carries. */
  sourceVnfcId?: string;
}

/** One `SAVE_VNFR_DEPENDENCY` (before the first untyped CONFIGURE script). */
export interface SaveDependencyCommand {
  kind: 'save-dependency';
  /** The dependency serialised as a JSON string. */
  payload: string;
}

/** A command of a plan. */
export type PlanCommand = ExecuteCommand | SaveDependencyCommand;

/** What one VNFC does within one script step: its commands, in order. */
export interface VnfcWork {
  hostname: string;
  vnfcId?: string;
  commands: PlanCommand[];
}

/** One script of the event's list, run on the planned VNFCs. */
export interface ScriptStep {
  event: ScriptEvent;
  /** Position of the script in the event's ORIGINAL `lifecycle_events` list. */
  scriptIndex: number;
  /** The script's file name (the payload's first word). */
  scriptName: string;
  /** The script string as written, arguments included. */
  script: string;
  /** One entry per VNFC, sorted by hostname. */
  vnfcs: VnfcWork[];
}

/** The ordered steps of one lifecycle event (script-major: script 0 on all VNFCs, then script 1…). */
export interface EventPlan {
  event: ScriptEvent;
  /** False when the VNFR has no lifecycle entry for the event (nothing to do, not an error). */
  hasLifecycleEntry: boolean;
  /** How the VNFCs of one step run. */
  concurrency: VnfcConcurrency;
  steps: ScriptStep[];
}

/** Input of {@link planEvent}. */
export interface PlanOptions {
  event: ScriptEvent;
  vnfr: VnfrView;
  /** The VNFCs to run on. @default every VNFC instance of the VNFR */
  vnfcs?: readonly VnfcView[];
  /** CONFIGURE: the dependency whose parameters feed typed scripts. */
  dependency?: DependencyView | null;
  /** HEAL: the cause, exported as `cause`. */
  cause?: string;
  /** SCALE_IN: the removed source VNFC, exported as `removing_*`. */
  removed?: VnfcView;
  /** Resume: the index (in the original list) of the first script to run. @default 0 */
  fromScriptIndex?: number;
  /** @default 'parallel' */
  concurrency?: VnfcConcurrency;
}

/** The file name of a script string (`"install.sh a b"` → `install.sh`). */
export function scriptNameOf(script: string): string {
  return script.trim().split(/\s+/)[0] ?? script;
}

function byHostname(a: VnfcView, b: VnfcView): number {
  const ha = a.hostname ?? '';
  const hb = b.hostname ?? '';
  return ha < hb ? -1 : ha > hb ? 1 : 0;
}

function eventEnv(options: PlanOptions): EnvMap {
  if (options.event === 'HEAL' && options.cause !== undefined) return healEnv(options.cause);
  if (options.event === 'SCALE_IN' && options.removed) return removingEnv(options.removed);
  return {};
}

/**
 * Turns a lifecycle event into its ordered steps (§7): for each script of the event, in list
 * order, the planned VNFCs (sorted by hostname) with the full environment of every execution.
 * CONFIGURE scripts whose prefix names a source type in the dependency fan out over the
 * source's VNFCs; before the first untyped CONFIGURE script each VNFC first saves the
 * dependency (§6.4). Pure: the same input always gives the same plan.
 */
export function planEvent(options: PlanOptions): EventPlan {
  const concurrency = options.concurrency ?? 'parallel';
  const scripts = scriptsOf(options.vnfr, options.event);
  if (scripts === undefined) return { event: options.event, hasLifecycleEntry: false, concurrency, steps: [] };

  const base = buildBaseEnv(options.vnfr);
  const extra = eventEnv(options);
  const vnfcs = [...(options.vnfcs ?? vnfcInstancesOf(options.vnfr))]
    .filter((vnfc) => typeof vnfc.hostname === 'string' && vnfc.hostname !== '')
    .sort(byHostname);
  const from = Math.max(0, options.fromScriptIndex ?? 0);
  let dependencySaved = false;
  const steps: ScriptStep[] = [];

  scripts.forEach((script, scriptIndex) => {
    if (scriptIndex < from) return;
    const typed = options.event === 'CONFIGURE' ? typedEnvsFor(script, options.dependency) : undefined;
    // Only with a dependency: a CONFIGURE without one (resume of a non-target) has nothing to save.
    const saveDependency = options.event === 'CONFIGURE' && typed === undefined && !dependencySaved && options.dependency != null;
    if (saveDependency) dependencySaved = true;

    const work = vnfcs.map((vnfc): VnfcWork => {
      const own = mergeEnv(base, vnfcEnv(vnfc), extra);
      const commands: PlanCommand[] = [];
      if (saveDependency) commands.push({ kind: 'save-dependency', payload: dependencyPayload(options.dependency) });
      if (typed === undefined) {
        commands.push({ kind: 'execute', payload: script, env: own });
      } else {
        for (const source of typed) {
          commands.push({ kind: 'execute', payload: script, env: mergeEnv(own, source.env), sourceVnfcId: source.sourceVnfcId });
        }
      }
      const entry: VnfcWork = { hostname: vnfc.hostname as string, commands };
      if (typeof vnfc.id === 'string') entry.vnfcId = vnfc.id;
      return entry;
    });
    steps.push({ event: options.event, scriptIndex, scriptName: scriptNameOf(script), script, vnfcs: work });
  });

  return { event: options.event, hasLifecycleEntry: true, concurrency, steps };
}

function typedEnvsFor(script: string, dependency: DependencyView | null | undefined) {
  const type = sourceTypeOf(script);
  return type === undefined ? undefined : typedDependencyEnvs(dependency, type);
}

/** Total number of `EXECUTE` commands of a plan (handy for logs and tests). */
export function countExecutions(plan: EventPlan): number {
  return plan.steps.reduce(
    (sum, step) => sum + step.vnfcs.reduce((n, work) => n + work.commands.filter((c) => c.kind === 'execute').length, 0),
    0,
  );
}
