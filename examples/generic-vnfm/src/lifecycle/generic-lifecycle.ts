import { bundleFiles } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { AgentCommandError, AgentNotReadyError, NothingToResumeError, ScriptFailedError } from '../errors.js';
import { scriptsOf, vnfcInstancesOf, type DependencyView, type VnfcView, type VnfrView } from '../internal/records.js';
import type { ScriptLogs } from '../logs/index.js';
import { mergeEnv, type EnvMap } from '../env/index.js';
import { planEvent, type EventPlan, type ScriptEvent, type VnfcConcurrency } from '../plan/index.js';
import { resumedActionOf, type ResumableEvent, type ResumeStore } from '../resume-store/index.js';
import type { AgentChannel, PackageFile } from './agent-channel.js';
import { limitEmsCommands } from './ems-limit.js';
import { runPlan, type CommandReply } from './run-plan.js';

/** Options of {@link GenericLifecycle}. */
export interface GenericLifecycleOptions {
  agents: AgentChannel;
  resumeStore: ResumeStore;
  logs: ScriptLogs;
  /** @default 'parallel' */
  vnfcConcurrency?: VnfcConcurrency;
  /** Agent commands in flight at once across everything this lifecycle runs (see {@link limitEmsCommands}). @default unlimited */
  emsConcurrency?: number | undefined;
  /** Seconds the agents get to say hello; only used in error messages (the channel enforces it). */
  startTimeoutS?: number;
  /** @default a disabled logger */
  logger?: Logger;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Where a VNFR's scripts come from: package files, or a git repository (`scriptsLink`). */
export interface ScriptSource {
  files?: readonly PackageFile[];
  scriptsLink?: string | null;
}

/**
 * Changes a caller (a lifecycle plug-in's `next()`) makes to the plans of one call: `env` is merged over every
 * `EXECUTE`'s environment (it wins), then `plan` may rewrite each event plan (add, drop or reorder steps and
 * commands; a plan without lifecycle entry has `hasLifecycleEntry` false and runs only if set true). A call that
 * runs several events (SCALE_OUT: INSTANTIATE, CONFIGURE, START) applies it to each: `plan.event` tells which.
 * RESUME re-runs the recorded event's generic plan, without the adjustment.
 */
export interface PlanAdjustment {
  env?: EnvMap;
  plan?: (plan: EventPlan) => EventPlan;
}

/** Applies a {@link PlanAdjustment} to one plan (pure: the plan given is not changed). */
export function adjustPlan(plan: EventPlan, adjust: PlanAdjustment | undefined): EventPlan {
  if (!adjust) return plan;
  const env = adjust.env;
  const withEnv: EventPlan =
    env === undefined || Object.keys(env).length === 0
      ? plan
      : {
          ...plan,
          steps: plan.steps.map((step) => ({
            ...step,
            vnfcs: step.vnfcs.map((work) => ({
              ...work,
              commands: work.commands.map((command) =>
                command.kind === 'execute' ? { ...command, env: mergeEnv(command.env, env) } : command,
              ),
            })),
          })),
        };
  return adjust.plan ? adjust.plan(withEnv) : withEnv;
}

/** A VNFR the lifecycle may update in place (VNFC `state`). */
type Vnfr = VnfrView;

const STANDBY = 'standby';

/** Package files held for a VNFC's first EXECUTE, by hostname. */
type HeldFiles = Map<string, readonly PackageFile[]>;

/** The answer to a dependency held back for the VNFC's next EXECUTE (which reports whether saving it worked). */
const HELD: CommandReply = Object.freeze({ output: '', err: '', status: 0 });

function isStandby(vnfc: VnfcView | undefined): boolean {
  return typeof vnfc?.state === 'string' && vnfc.state.toLowerCase() === STANDBY;
}

function setState(vnfc: VnfcView, state: string): void {
  (vnfc as { state?: string | null }).state = state;
}

/** Waits for every promise, then throws the first rejection in list order, if any. */
async function allSettledOrThrow(promises: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function describeCause(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The Generic VNFM's lifecycle mapping (§7), independent of how NFVO commands arrive: each
 * method runs the agent commands for one NFVO command on a VNFR and updates the VNFR in place
 * (VNFC states). Script failures are recorded for RESUME and thrown as {@link ScriptFailedError}.
 */
export class GenericLifecycle {
  readonly #agents: AgentChannel;
  readonly #store: ResumeStore;
  readonly #logs: ScriptLogs;
  readonly #concurrency: VnfcConcurrency;
  readonly #startTimeoutS: number;
  readonly #logger: Logger;
  readonly #now: () => Date;

  constructor(options: GenericLifecycleOptions) {
    this.#agents = limitEmsCommands(options.agents, options.emsConcurrency);
    this.#store = options.resumeStore;
    this.#logs = options.logs;
    this.#concurrency = options.vnfcConcurrency ?? 'parallel';
    this.#startTimeoutS = options.startTimeoutS ?? 500;
    this.#logger = (options.logger ?? pino({ enabled: false })).child({ component: 'generic-lifecycle' });
    this.#now = options.now ?? (() => new Date());
  }

  /** INSTANTIATE: wait for every agent, ship the scripts, run the INSTANTIATE scripts. */
  async instantiate(options: { vnfr: Vnfr; scripts: ScriptSource; adjust?: PlanAdjustment }): Promise<void> {
    const vnfcs = vnfcInstancesOf(options.vnfr);
    await this.#waitForAgents(options.vnfr, vnfcs);
    const files = await this.#provision(options.vnfr, vnfcs, options.scripts);
    await this.#runEvent({ vnfr: options.vnfr, event: 'INSTANTIATE', adjust: options.adjust, files });
  }

  /** MODIFY: the CONFIGURE scripts with the dependency. */
  async modify(options: { vnfr: Vnfr; dependency?: DependencyView | null; adjust?: PlanAdjustment }): Promise<void> {
    await this.#runEvent({ vnfr: options.vnfr, event: 'CONFIGURE', dependency: options.dependency ?? null, adjust: options.adjust });
  }

  /** START of the whole VNFR, or of one VNFC. */
  async start(options: { vnfr: Vnfr; vnfc?: VnfcView | null; adjust?: PlanAdjustment }): Promise<void> {
    await this.#runEvent({ vnfr: options.vnfr, event: 'START', vnfcs: this.#subset(options.vnfr, options.vnfc), adjust: options.adjust });
  }

  /** STOP of the whole VNFR, or of one VNFC. */
  async stop(options: { vnfr: Vnfr; vnfc?: VnfcView | null; adjust?: PlanAdjustment }): Promise<void> {
    await this.#runEvent({ vnfr: options.vnfr, event: 'STOP', vnfcs: this.#subset(options.vnfr, options.vnfc), adjust: options.adjust });
  }

  /** RELEASE_RESOURCES: the TERMINATE scripts, then forget the VNFR (resume record, logs, agents). */
  async terminate(options: { vnfr: Vnfr; adjust?: PlanAdjustment }): Promise<void> {
    await this.#runEvent({ vnfr: options.vnfr, event: 'TERMINATE', adjust: options.adjust });
    if (typeof options.vnfr.id === 'string') await this.#store.clear(options.vnfr.id);
    if (typeof options.vnfr.name === 'string') await this.#logs.removeVnfr(options.vnfr.name);
    for (const vnfc of vnfcInstancesOf(options.vnfr)) {
      if (typeof vnfc.hostname === 'string') this.#agents.forgetAgent(vnfc.hostname);
    }
  }

  /**
   * SCALE_OUT on the new VNFC only: wait for its agent, ship the scripts, INSTANTIATE, CONFIGURE
   * (when a dependency is given) and START unless the VNFC is a standby one.
   */
  async scaleOut(options: {
    vnfr: Vnfr;
    vnfc: VnfcView;
    scripts: ScriptSource;
    dependency?: DependencyView | null;
    standby?: boolean;
    adjust?: PlanAdjustment;
  }): Promise<void> {
    const { vnfr, vnfc, adjust } = options;
    await this.#waitForAgents(vnfr, [vnfc]);
    const files = await this.#provision(vnfr, [vnfc], options.scripts);
    await this.#runEvent({ vnfr, event: 'INSTANTIATE', vnfcs: [vnfc], adjust, files });
    if (options.dependency) await this.#runEvent({ vnfr, event: 'CONFIGURE', vnfcs: [vnfc], dependency: options.dependency, adjust });
    const standby = options.standby === true || isStandby(vnfc);
    if (standby) this.#logger.info({ vnfrId: vnfr.id, hostname: vnfc.hostname }, 'new VNFC is a standby one: START skipped');
    else await this.#runEvent({ vnfr, event: 'START', vnfcs: [vnfc], adjust });
  }

  /** SCALE_IN on a dependency target: its SCALE_IN scripts with the removed source VNFC's `removing_*`. */
  async scaleIn(options: { vnfr: Vnfr; removed: VnfcView; adjust?: PlanAdjustment }): Promise<void> {
    await this.#runEvent({ vnfr: options.vnfr, event: 'SCALE_IN', removed: options.removed, adjust: options.adjust });
    // The NFVO deletes the removed VM next: its agent (and its pinned identity) is gone with it.
    if (typeof options.removed.hostname === 'string') this.#agents.forgetAgent(options.removed.hostname);
  }

  /**
   * HEAL: for `switchToStandby`, START on the standby VNFC (found by id in the VNFR) and mark it
   * ACTIVE (in the VNFR and in `vnfc`); otherwise the HEAL scripts on that VNFC with `cause`.
   */
  async heal(options: { vnfr: Vnfr; vnfc: VnfcView; cause: string; adjust?: PlanAdjustment }): Promise<void> {
    const { vnfr, vnfc, cause, adjust } = options;
    const own = this.#findVnfc(vnfr, vnfc);
    if (cause === 'switchToStandby') {
      if (!own || !isStandby(own)) {
        this.#logger.warn({ vnfrId: vnfr.id, vnfcId: vnfc.id }, 'no standby VNFC with that id: nothing to switch to');
        return;
      }
      if (scriptsOf(vnfr, 'START') === undefined) return;
      await this.#runEvent({ vnfr, event: 'START', vnfcs: [own], adjust });
      setState(own, 'ACTIVE');
      if (own !== vnfc) setState(vnfc, 'ACTIVE');
      return;
    }
    await this.#runEvent({ vnfr, event: 'HEAL', vnfcs: [own ?? vnfc], cause, adjust });
  }

  /** UPDATE: with a script, `SCRIPTS_UPDATE` of it on every VNFC; without, the UPDATE scripts. */
  async update(options: { vnfr: Vnfr; script?: PackageFile | null; adjust?: PlanAdjustment }): Promise<void> {
    const { vnfr, script } = options;
    if (!script) {
      await this.#runEvent({ vnfr, event: 'UPDATE', adjust: options.adjust });
      return;
    }
    await Promise.all(
      this.#hostnames(vnfcInstancesOf(vnfr)).map((hostname) =>
        this.#command(vnfr, { hostname, action: 'SCRIPTS_UPDATE', what: script.name }, () => this.#agents.updateScript(hostname, script)),
      ),
    );
  }

  /** EXECUTE (ad-hoc): save the script on each VNFC and run it there without environment. */
  async executeScript(options: { vnfr: Vnfr; script: PackageFile }): Promise<void> {
    const { vnfr, script } = options;
    await Promise.all(
      this.#hostnames(vnfcInstancesOf(vnfr)).map(async (hostname) => {
        await this.#command(vnfr, { hostname, action: 'SAVE_SCRIPTS', what: script.name }, () => this.#agents.saveScript(hostname, script));
        const reply = await this.#command(vnfr, { hostname, action: 'EXECUTE', what: script.name, allowFailure: true }, () =>
          this.#agents.execute(hostname, script.name),
        );
        await this.#logs.append({
          vnfrName: vnfr.name ?? '',
          hostname,
          script: script.name,
          output: reply.output,
          err: reply.err,
          status: reply.status,
        });
        if (reply.status !== 0) {
          throw new AgentCommandError({
            vnfrName: vnfr.name ?? '',
            hostname,
            action: 'EXECUTE',
            what: script.name,
            exitStatus: reply.status,
            err: reply.err,
          });
        }
      }),
    );
  }

  /** ERROR from the NFVO: the ERROR scripts; their failures are only logged. */
  async error(options: { vnfr: Vnfr }): Promise<void> {
    try {
      await this.#runEvent({ vnfr: options.vnfr, event: 'ERROR' });
    } catch (error) {
      this.#logger.error({ vnfrId: options.vnfr.id, err: describeCause(error) }, 'ERROR scripts failed (ignored)');
    }
  }

  /**
   * RESUME: re-runs the recorded event from the recorded script (absolute index) on the VNFCs it
   * ran on, clears the record on success and returns the action to reply with.
   */
  async resume(options: { vnfr: Vnfr; dependency?: DependencyView | null }): Promise<{ action: string; event: ResumableEvent }> {
    const { vnfr } = options;
    const vnfrId = vnfr.id ?? '';
    const failure = vnfrId === '' ? undefined : await this.#store.get(vnfrId);
    if (!failure) throw new NothingToResumeError(vnfrId, vnfr.name ?? '');
    const all = vnfcInstancesOf(vnfr);
    const scope = failure.vnfcHostnames;
    const vnfcs = scope ? all.filter((vnfc) => typeof vnfc.hostname === 'string' && scope.includes(vnfc.hostname)) : all;
    this.#logger.info(
      { vnfrId, event: failure.event, scriptIndex: failure.scriptIndex, scriptName: failure.scriptName },
      'resuming from the failed script',
    );
    await this.#runEvent({
      vnfr,
      event: failure.event,
      vnfcs: vnfcs.length > 0 ? vnfcs : all,
      scoped: scope !== undefined,
      fromScriptIndex: failure.scriptIndex,
      dependency: options.dependency ?? null,
      ...(failure.cause !== undefined ? { cause: failure.cause } : {}),
    });
    await this.#store.clear(vnfrId);
    return { action: resumedActionOf(failure.event), event: failure.event };
  }

  /** LOG_REQUEST: the script logs of one VNFC. */
  async logs(options: { vnfrName: string; hostname: string }): Promise<{ outputLog: string[]; errorLog: string[] }> {
    return this.#logs.read(options.vnfrName, options.hostname);
  }

  // ---------------------------------------------------------------------------------------------

  #subset(vnfr: Vnfr, vnfc: VnfcView | null | undefined): VnfcView[] | undefined {
    if (!vnfc) return undefined;
    return [this.#findVnfc(vnfr, vnfc) ?? vnfc];
  }

  #findVnfc(vnfr: Vnfr, vnfc: VnfcView): VnfcView | undefined {
    const all = vnfcInstancesOf(vnfr);
    return (
      (typeof vnfc.id === 'string' ? all.find((own) => own.id === vnfc.id) : undefined) ??
      (typeof vnfc.hostname === 'string' ? all.find((own) => own.hostname === vnfc.hostname) : undefined)
    );
  }

  #hostnames(vnfcs: readonly VnfcView[]): string[] {
    return vnfcs
      .map((vnfc) => vnfc.hostname)
      .filter((hostname): hostname is string => typeof hostname === 'string' && hostname !== '')
      .sort();
  }

  async #waitForAgents(vnfr: Vnfr, vnfcs: readonly VnfcView[]): Promise<void> {
    const hostnames = this.#hostnames(vnfcs);
    const results = await Promise.allSettled(hostnames.map((hostname) => this.#agents.waitForAgent(hostname)));
    const missing = hostnames.filter((_hostname, i) => results[i]?.status === 'rejected');
    if (missing.length === 0) return;
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    this.#logger.error({ vnfrId: vnfr.id, hostnames: missing }, 'agents never said hello');
    throw new AgentNotReadyError({
      vnfrName: vnfr.name ?? '',
      hostnames: missing,
      timeoutS: this.#startTimeoutS,
      cause: first?.reason,
    });
  }

  /**
   * Ships the scripts: one CLONE_SCRIPTS per VNFC, or SAVE_SCRIPTS of every file on all VNFCs (pipelined). To an agent
   * that takes files within an EXECUTE, a package of one bundle is not sent here: it is returned (by hostname), for
   * `#runEvent` to send with the VNFC's first INSTANTIATE script.
   */
  async #provision(vnfr: Vnfr, vnfcs: readonly VnfcView[], source: ScriptSource): Promise<HeldFiles> {
    const held: HeldFiles = new Map();
    const hostnames = this.#hostnames(vnfcs);
    const link = source.scriptsLink;
    if (typeof link === 'string' && link !== '') {
      await Promise.all(
        hostnames.map((hostname) =>
          this.#command(vnfr, { hostname, action: 'CLONE_SCRIPTS', what: link }, () => this.#agents.cloneScripts(hostname, link)),
        ),
      );
      return held;
    }
    const files = source.files ?? [];
    if (files.length > 0 && bundleFiles(files).length === 1) {
      for (const hostname of hostnames) if (this.#agents.acceptsFilesWithExecute(hostname)) held.set(hostname, files);
    }
    if (held.size === hostnames.length) return held;
    // An agent that takes bundles gets the files in bundled SAVE_SCRIPTS (one, unless the package is over 4 MiB).
    // Others get one per file, all at once: each agent's queue holds them in package order and the agent saves them
    // one after the other, without a round trip to the VNFM between two files.
    const bundled = (hostname: string): boolean => files.length > 1 && this.#agents.acceptsBundles(hostname);
    const saves = [
      ...hostnames
        .filter((hostname) => !held.has(hostname))
        .filter(bundled)
        .flatMap((hostname) => bundleFiles(files).map((bundle) => this.#saveFiles(vnfr, hostname, bundle))),
      ...files.flatMap((file) =>
        hostnames
          .filter((hostname) => !held.has(hostname) && !bundled(hostname))
          .map((hostname) =>
            this.#command(vnfr, { hostname, action: 'SAVE_SCRIPTS', what: file.name }, () => this.#agents.saveScript(hostname, file)),
          ),
      ),
    ];
    // Every save is answered before the first failure (in package order) is thrown: nothing is left in flight.
    await allSettledOrThrow(saves);
    return held;
  }

  /** SAVE_SCRIPTS of a package on one VNFC, bundled when the agent takes bundles; a failure is an {@link AgentCommandError}. */
  #saveFiles(vnfr: Vnfr, hostname: string, files: readonly PackageFile[]): Promise<CommandReply> {
    const what = files.map((f) => f.name).join(', ');
    const [first] = files;
    return this.#command(vnfr, { hostname, action: 'SAVE_SCRIPTS', what }, () =>
      files.length === 1 && first ? this.#agents.saveScript(hostname, first) : this.#agents.saveScripts(hostname, files),
    );
  }

  /** Runs one non-lifecycle agent command; a failure becomes an {@link AgentCommandError}. */
  async #command(
    vnfr: Vnfr,
    what: { hostname: string; action: string; what: string; allowFailure?: boolean },
    send: () => Promise<CommandReply>,
  ): Promise<CommandReply> {
    let reply: CommandReply;
    try {
      reply = await send();
    } catch (error) {
      throw new AgentCommandError({
        vnfrName: vnfr.name ?? '',
        hostname: what.hostname,
        action: what.action,
        what: what.what,
        cause: error,
      });
    }
    if (reply.status !== 0 && what.allowFailure !== true) {
      throw new AgentCommandError({
        vnfrName: vnfr.name ?? '',
        hostname: what.hostname,
        action: what.action,
        what: what.what,
        exitStatus: reply.status,
        err: reply.err,
      });
    }
    return reply;
  }

  /** Plans and runs one lifecycle event; on a script failure records it, marks the VNFC and rethrows. */
  async #runEvent(options: {
    vnfr: Vnfr;
    event: ScriptEvent;
    vnfcs?: readonly VnfcView[] | undefined;
    /** Whether `vnfcs` is a subset to remember for RESUME. @default vnfcs !== undefined */
    scoped?: boolean;
    dependency?: DependencyView | null;
    cause?: string;
    removed?: VnfcView;
    fromScriptIndex?: number;
    /** A plug-in's changes to the plan (see {@link PlanAdjustment}). */
    adjust?: PlanAdjustment | undefined;
    /** Package files to send with each VNFC's first EXECUTE (what `#provision` held back). */
    files?: HeldFiles;
  }): Promise<void> {
    const { vnfr, event } = options;
    const generic = planEvent({
      event,
      vnfr,
      concurrency: this.#concurrency,
      ...(options.vnfcs ? { vnfcs: options.vnfcs } : {}),
      ...(options.dependency !== undefined ? { dependency: options.dependency } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      ...(options.removed ? { removed: options.removed } : {}),
      ...(options.fromScriptIndex !== undefined ? { fromScriptIndex: options.fromScriptIndex } : {}),
    });
    const plan = adjustPlan(generic, options.adjust);
    const log = this.#logger.child({ vnfrId: vnfr.id, vnfrName: vnfr.name, event });
    // Package files travel with a VNFC's first EXECUTE. Those no EXECUTE took, and those of an EXECUTE answered with
    // a failure (saved or not: the reply cannot say), are sent on their own (the same files again, harmless) before
    // the event ends — RESUME re-runs scripts and ships no package. One that cannot be saved fails the event as a
    // failed SAVE_SCRIPTS always did: an AgentCommandError, with nothing recorded for RESUME. An EXECUTE not answered
    // at all (timeout, a refused reply) may still be running: the files go again at once but are not waited for (the
    // agent's queue runs them before any later command, RESUME's too); a failure there is logged.
    const heldFiles = new Map(options.files);
    const unconfirmedFiles: HeldFiles = new Map();
    const shipFiles = (): Promise<void> =>
      allSettledOrThrow([...heldFiles, ...unconfirmedFiles].map(([hostname, files]) => this.#saveFiles(vnfr, hostname, files)));
    if (!plan.hasLifecycleEntry) {
      log.debug('no lifecycle entry: skipped');
      await shipFiles();
      return;
    }
    log.info({ scripts: plan.steps.length }, 'running lifecycle scripts');
    // Script logs are written while the next script already runs (each file keeps its order); the event ends,
    // and a failure is recorded, only after all of them are on disk, and a failed write still fails the event.
    const logWrites: Promise<void>[] = [];
    const logsWritten = (): Promise<void> => allSettledOrThrow(logWrites);
    // A dependency for an agent that takes bundles travels with the VNFC's next EXECUTE of this event (the plan puts
    // one right after it); one a changed plan left without a later EXECUTE is sent on its own once the scripts are done.
    const heldDependencies = new Map<string, string>();
    try {
      const result = await runPlan({
        plan,
        vnfr,
        send: (hostname, command) => {
          if (command.kind === 'save-dependency') {
            if (!this.#agents.acceptsBundles(hostname)) return this.#agents.saveVnfrDependency(hostname, command.payload);
            heldDependencies.set(hostname, command.payload);
            return Promise.resolve(HELD);
          }
          const dependency = heldDependencies.get(hostname);
          heldDependencies.delete(hostname);
          const files = heldFiles.get(hostname);
          if (files === undefined) return this.#agents.execute(hostname, command.payload, { env: command.env, dependency });
          heldFiles.delete(hostname);
          const sent = this.#agents.execute(hostname, command.payload, { env: command.env, dependency, files });
          return sent.then(
            (reply) => {
              if (reply.status !== 0) unconfirmedFiles.set(hostname, files);
              return reply;
            },
            (error: unknown) => {
              this.#saveFiles(vnfr, hostname, files).then(
                () => log.info({ hostname }, 'package saved again after an unanswered EXECUTE'),
                (saveError: unknown) => log.error({ hostname, err: describeCause(saveError) }, 'cannot save the package again'),
              );
              throw error;
            },
          );
        },
        onExecuted: ({ work, command, reply }) => {
          // Per script at debug: a deployment of hundreds of VNFCs would otherwise log a line per execution.
          log.debug({ hostname: work.hostname, script: command.payload, status: reply.status }, 'script finished');
          const write = this.#logs.append({
            vnfrName: vnfr.name ?? '',
            hostname: work.hostname,
            script: command.payload,
            output: reply.output,
            err: reply.err,
            status: reply.status,
          });
          write.catch(() => undefined); // handled by logsWritten(); not an unhandled rejection meanwhile
          logWrites.push(write);
        },
      });
      await logsWritten();
      await shipFiles();
      await allSettledOrThrow(
        [...heldDependencies].map(([hostname, payload]) =>
          this.#command(vnfr, { hostname, action: 'SAVE_VNFR_DEPENDENCY', what: 'the dependency' }, () =>
            this.#agents.saveVnfrDependency(hostname, payload),
          ),
        ),
      );
      log.info({ executions: result.executions }, 'lifecycle scripts done');
    } catch (error) {
      if (error instanceof ScriptFailedError) {
        await logsWritten().catch((logError: unknown) => log.error({ err: describeCause(logError) }, 'cannot write a script log'));
        await shipFiles();
        await this.#recordFailure(options, error);
      }
      throw error;
    }
  }

  async #recordFailure(
    options: { vnfr: Vnfr; event: ScriptEvent; vnfcs?: readonly VnfcView[] | undefined; scoped?: boolean; cause?: string },
    error: ScriptFailedError,
  ): Promise<void> {
    const { vnfr, event } = options;
    this.#logger.error(
      { vnfrId: vnfr.id, event, hostname: error.hostname, script: error.script, status: error.exitStatus },
      'lifecycle script failed',
    );
    if (error.exitStatus === undefined) {
      await this.#logs.appendError({
        vnfrName: vnfr.name ?? '',
        hostname: error.hostname,
        script: error.script,
        message: describeCause(error.cause),
      });
    }
    const failed = vnfcInstancesOf(vnfr).find((vnfc) => vnfc.hostname === error.hostname);
    if (failed) setState(failed, 'error');
    const vnfrId = vnfr.id;
    if (typeof vnfrId !== 'string' || vnfrId === '') return;
    // A failing ERROR script never hides the failure that put the VNFR in ERROR.
    if (event === 'ERROR' && (await this.#store.get(vnfrId)) !== undefined) return;
    // SCALE_IN cannot be resumed upstream (its reply is `null`); nothing to record.
    if (event === 'SCALE_IN') return;
    const scoped = options.scoped ?? options.vnfcs !== undefined;
    await this.#store.record({
      vnfrId,
      vnfrName: vnfr.name ?? '',
      event,
      scriptIndex: error.scriptIndex,
      scriptName: error.scriptName,
      hostname: error.hostname,
      at: this.#now().toISOString(),
      ...(scoped && options.vnfcs ? { vnfcHostnames: this.#hostnames(options.vnfcs) } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
    });
  }
}
