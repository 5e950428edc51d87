import {
  ConfigError,
  deriveVnfrKey,
  parseEnvNameList,
  toError,
  vnfmIdentity,
  wireFiles,
  type Script,
  type VNFCInstance,
  type VNFPackage,
  type VNFRecordDependency,
  type VirtualNetworkFunctionRecord,
} from '@vnfkit/protocol';
import {
  AbstractVnfm,
  EmsClient,
  EmsCommandError,
  FileIdentityPins,
  StreamIdentityPins,
  allVnfcs,
  createAmqpTransport,
  firstUrl,
  splitUrls,
  type ExecuteContext,
  type HealContext,
  type HookContext,
  type IdentityPins,
  type InstantiateContext,
  type InterruptedContext,
  type ModifyContext,
  type NfvoErrorContext,
  type ResumeContext,
  type ResumeResult,
  type ScaleInContext,
  type ScaleOutContext,
  type StartStopContext,
  type Transport,
  type TransportFactory,
  type UpdateContext,
  type UserDataContext,
  type ValidateInstantiateContext,
} from '@vnfkit/vnfm-sdk';
import { pino, type Logger } from 'pino';
import { emsCredentials, type GenericVnfmConfig } from './config.js';
import { assertEnvNamesAllowed, dependencyEnvNames, descriptorEnvNames, recordEnvNames } from './env/index.js';
import type { AgentChannel, PackageFile } from './lifecycle/agent-channel.js';
import { GenericLifecycle, type ScriptSource } from './lifecycle/generic-lifecycle.js';
import { limitEmsCommands } from './lifecycle/ems-limit.js';
import { LifecyclePlugins, loadLifecyclePlugins, type LifecyclePlugin } from './plugins/index.js';
import type { CommandReply } from './lifecycle/run-plan.js';
import { markTopDirectory, ScriptLogs } from './logs/index.js';
import { FileResumeStore, StreamResumeStore, type ResumableEvent, type ResumeStore } from './resume-store/index.js';
import { fillUserData, virtualHostOf } from './user-data.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** Options of {@link GenericVnfm}. */
export interface GenericVnfmOptions {
  /** Resolved configuration (see `loadConfig`). */
  config: GenericVnfmConfig;
  /** Cloud-init template the VMs get (see `loadUserDataTemplate`); without one, no user data is sent. */
  userDataTemplate?: string;
  /** Where script failures are kept; default: a file store under `config.resumeDir`. Share one store between replicas. */
  resumeStore?: ResumeStore;
  /** Opens the broker connections; default: amqp at `config.amqpUrl`. */
  transportFactory?: TransportFactory;
  /** Bootstrap credentials for registration. @default Open Baton's `openbaton-manager-user` */
  bootstrapCredentials?: { username: string; password: string };
  logger?: Logger;
  /**
   * Lifecycle plug-ins, loaded already; they come before the ones `config.plugins` names (loaded by `connect()`,
   * which fails with a `PluginLoadError` when one cannot be loaded).
   */
  plugins?: readonly LifecyclePlugin[];
}

const bytesOf = (script: Script): Uint8Array => Uint8Array.from(script.payload ?? [], (b) => b & 0xff);
const filesOf = (pkg: VNFPackage | undefined): PackageFile[] => (pkg?.scripts ?? []).map((s) => ({ name: s.name, content: bytesOf(s) }));
const sourceOf = (pkg: VNFPackage | undefined): ScriptSource =>
  pkg?.scriptsLink ? { scriptsLink: pkg.scriptsLink } : { files: filesOf(pkg) };

/** NFVO actions whose interruption RESUME can retry, and the lifecycle event each runs. */
const INTERRUPTIBLE: Partial<Record<string, ResumableEvent>> = {
  INSTANTIATE: 'INSTANTIATE',
  MODIFY: 'CONFIGURE',
  START: 'START',
  STOP: 'STOP',
  RELEASE_RESOURCES: 'TERMINATE',
  HEAL: 'HEAL',
  UPDATE: 'UPDATE',
};

/** Adapts the SDK's EmsClient to the lifecycle's AgentChannel: replies of any status come back as replies. */
function agentChannel(ems: EmsClient, config: GenericVnfmConfig): AgentChannel {
  const asReply = async (send: () => Promise<CommandReply>): Promise<CommandReply> => {
    try {
      return await send();
    } catch (error) {
      if (error instanceof EmsCommandError)
        return { output: error.details.stdout, err: error.details.stderr, status: error.details.status };
      throw error;
    }
  };
  const timeoutMs = config.ems.commandTimeoutS * 1000;
  const scriptPath = config.ems.scriptPath;
  return {
    waitForAgent: (hostname) => ems.waitForAgent(hostname, config.ems.startTimeoutS * 1000),
    acceptsBundles: (hostname) => config.bundles && ems.acceptsBundles(hostname),
    acceptsFilesWithExecute: (hostname) => config.bundles && ems.acceptsFilesWithExecute(hostname),
    saveScript: (hostname, file) =>
      asReply(() =>
        ems.send(
          hostname,
          { action: 'SAVE_SCRIPTS', name: file.name, payload: Buffer.from(file.content).toString('base64'), 'script-path': scriptPath },
          { timeoutMs },
        ),
      ),
    cloneScripts: (hostname, url) =>
      asReply(() => ems.send(hostname, { action: 'CLONE_SCRIPTS', payload: url, 'script-path': scriptPath }, { timeoutMs })),
    // Same deadline and script path: the client was built from this config.
    saveScripts: (hostname, files) => asReply(() => ems.saveScripts(hostname, files)),
    execute: (hostname, script, { env, dependency, files } = {}) =>
      asReply(() =>
        ems.send(
          hostname,
          {
            action: 'EXECUTE',
            payload: script,
            ...(env === undefined ? { 'script-path': scriptPath } : { env }),
            ...(dependency !== undefined ? { dependency } : {}),
            ...(files !== undefined ? { files: wireFiles(files) } : {}),
          },
          { timeoutMs },
        ),
      ),
    updateScript: (hostname, file) =>
      asReply(() =>
        ems.send(
          hostname,
          { action: 'SCRIPTS_UPDATE', name: file.name, payload: Buffer.from(file.content).toString('base64'), 'script-path': scriptPath },
          { timeoutMs },
        ),
      ),
    saveVnfrDependency: (hostname, payload) =>
      asReply(() => ems.send(hostname, { action: 'SAVE_VNFR_DEPENDENCY', payload, 'script-path': scriptPath }, { timeoutMs })),
    forgetAgent: (hostname) => ems.forget(hostname),
  };
}

/**
 * The Generic VNFM on vnfkit: runs each lifecycle event's scripts through the EMS agents of the VNFR's
 * VMs, with Open Baton's environment rules, dependencies, scaling, heal and resume after a failed script.
 */
export class GenericVnfm extends AbstractVnfm {
  private ems: EmsClient | undefined;
  private emsTransport: Transport | undefined;
  private lifecycleValue: GenericLifecycle | undefined;
  private pluginList: LifecyclePlugin[] = [];
  private pluginsValue: LifecyclePlugins | undefined;
  private resumeStore: ResumeStore | undefined;
  private streamResumeStore: StreamResumeStore | undefined;
  private identityPins: IdentityPins | undefined;
  private readonly config: GenericVnfmConfig;
  private readonly log: Logger;
  /** Hostname → id of its VNFR, learnt from every VNFR a command brings: the scope of the VM's signing key. */
  private readonly vnfrOfHost = new Map<string, string>();

  constructor(private readonly genericOptions: GenericVnfmOptions) {
    const { config } = genericOptions;
    super({
      type: config.type,
      endpoint: config.endpoint,
      description: 'vnfkit Generic VNFM',
      amqpUrl: config.amqpUrl,
      concurrency: config.concurrency,
      journalFile: config.journalFile,
      endpointQueueAutoDelete: config.endpointQueueAutoDelete,
      ...(genericOptions.transportFactory ? { transportFactory: genericOptions.transportFactory } : {}),
      ...(genericOptions.bootstrapCredentials ? { bootstrapCredentials: genericOptions.bootstrapCredentials } : {}),
      ...(genericOptions.logger ? { logger: genericOptions.logger } : {}),
    });
    this.config = config;
    this.log = (genericOptions.logger ?? pino({ enabled: false })).child({ component: 'generic-vnfm' });
  }

  private get lifecycle(): GenericLifecycle {
    if (!this.lifecycleValue) throw new Error('Generic VNFM is not connected');
    return this.lifecycleValue;
  }

  private get plugins(): LifecyclePlugins {
    if (!this.pluginsValue) throw new Error('Generic VNFM is not connected');
    return this.pluginsValue;
  }

  /**
   * Loads the configured lifecycle plug-ins and creates the script-log directory before anything else: a VNFM whose
   * plug-ins do not load, or whose logs cannot be written, does not start.
   */
  override async connect(): Promise<void> {
    this.pluginList = [...(this.genericOptions.plugins ?? []), ...(await loadLifecyclePlugins(this.config.plugins))];
    if (this.pluginList.length > 0) this.log.info({ plugins: this.pluginList.map((p) => p.name) }, 'lifecycle plug-ins loaded');
    await this.prepareLogDir();
    await super.connect();
  }

  /**
   * Creates the script-log directory and marks it `chattr +T` (see `markTopDirectory`). A directory that cannot be
   * created stops the start: every lifecycle would fail on its logs.
   */
  private async prepareLogDir(): Promise<void> {
    const logDir = this.config.logDir;
    const result = await markTopDirectory(logDir).catch((error: unknown) => {
      throw new ConfigError(`cannot create the script-log directory ${logDir} (logDir): ${toError(error).message}`, { cause: error });
    });
    this.log.debug(
      { logDir, ...result },
      result.marked ? 'script-log directory marked chattr +T' : 'script-log directory not marked chattr +T (harmless)',
    );
  }

  /**
   * The VNFC the lifecycle plug-ins serving `vnfr` would remove on a scale-in (`chooseScaleIn`), or `undefined`
   * when none has a preference. Open Baton's NFVO does not ask a VNFM which VNFC to remove: this is for what
   * asks the NFVO to remove one given VNFC instance (an operator, an autoscaler, the NfvoSimulator's `scaleIn`).
   * Throws a `LifecyclePluginError` naming the plug-in when it fails.
   */
  async chooseScaleIn(vnfr: Vnfr): Promise<VNFCInstance | undefined> {
    this.track(vnfr);
    return this.plugins.chooseScaleIn(vnfr);
  }

  protected override async onConnected(): Promise<void> {
    // The first node of a cluster's URL list names the broker (in messages); the transport uses them all.
    const url = new URL(firstUrl(this.config.amqpUrl));
    // The EMS side runs on the VNFM's own broker account (AMQP_URL), like upstream's Spring connection:
    // the per-VNFM user the NFVO hands out may not declare `openbaton-exchange` or `ems.<type>.register`.
    // Agent replies come back on a lasting reply queue: when this connection drops while a script runs,
    // the command keeps waiting for the agent's reply instead of failing — a failure would be resumed
    // by running the script a second time.
    this.emsTransport = this.genericOptions.transportFactory
      ? await this.genericOptions.transportFactory(undefined)
      : await createAmqpTransport({
          url: this.config.amqpUrl,
          connectionName: `generic-vnfm-ems-${this.config.type}`,
          replyMode: 'lasting-queue',
          logger: this.log,
          // On a cluster (replicas, a quorum endpoint queue) the reply queue must outlive the loss of its node.
          replyQueueType: this.options.replicated || this.options.endpointQueueType === 'quorum' ? 'quorum' : 'classic',
        });
    this.ems = new EmsClient({
      transport: this.emsTransport,
      endpoint: this.config.endpoint,
      commandTimeoutMs: this.config.ems.commandTimeoutS * 1000,
      helloTimeoutMs: this.config.ems.startTimeoutS * 1000,
      agentAbsenceTimeoutMs: this.config.ems.agentGoneTimeoutS * 1000,
      brokerAddress: `${url.hostname}:${url.port || '5672'}`,
      scriptPath: this.config.ems.scriptPath,
      ...(this.config.ems.signingKey !== undefined
        ? {
            signingKey: this.vmSigningKey(this.config.ems.signingKey),
            identity: { keyPair: vnfmIdentity(this.config.ems.signingKey), pins: (this.identityPins = await this.openIdentityPins()) },
          }
        : {}),
      // Replicas share one register queue: each must see every agent's hello.
      shareHellos: this.options.replicated,
      logger: this.log,
    });
    await this.ems.start();
    // One VNFM-wide limit (`emsConcurrency`) for the lifecycle and the plug-ins alike.
    const agents = limitEmsCommands(agentChannel(this.ems, this.config), this.config.emsConcurrency);
    this.pluginsValue = new LifecyclePlugins({ plugins: this.pluginList, agents, logger: this.log });
    this.lifecycleValue = new GenericLifecycle({
      agents,
      resumeStore: (this.resumeStore = await this.openResumeStore()),
      logs: new ScriptLogs({ directory: this.config.logDir, maxBytesPerFile: this.config.scriptLogMaxBytes }),
      vnfcConcurrency: this.config.vnfcConcurrency,
      startTimeoutS: this.config.ems.startTimeoutS,
      logger: this.log,
    });
  }

  /**
   * The EmsClient's per-host key: the host's VNFR key `deriveVnfrKey(master, vnfr id)` — what its user-data gave it
   * as `signing_key` — for a hostname of a VNFR this VNFM has seen; the client signs with `deriveAgentKey(that, hostname)`.
   */
  private vmSigningKey(master: string): (hostname: string) => string | undefined {
    return (hostname) => {
      const vnfrId = this.vnfrOfHost.get(hostname);
      return vnfrId === undefined ? undefined : deriveVnfrKey(master, vnfrId);
    };
  }

  /** Remembers which VNFR each of `vnfr`'s VMs belongs to (see {@link vmSigningKey}). */
  private track(vnfr: Vnfr | undefined): void {
    if (typeof vnfr?.id !== 'string' || vnfr.id === '') return;
    for (const vnfc of allVnfcs(vnfr))
      if (typeof vnfc.hostname === 'string' && vnfc.hostname !== '') this.vnfrOfHost.set(vnfc.hostname, vnfr.id);
  }

  /**
   * Where failed scripts are remembered for RESUME: given, or — for replicas, which must all see them — on the
   * stream `vnfkit.resume.<endpoint>` of the broker, else in `resumeDir`.
   */
  private async openResumeStore(): Promise<ResumeStore> {
    if (this.genericOptions.resumeStore) return this.genericOptions.resumeStore;
    if (this.options.replicated && this.emsTransport) {
      this.streamResumeStore = await StreamResumeStore.open({
        transport: this.emsTransport,
        stream: `vnfkit.resume.${this.config.endpoint}`,
        logger: this.log,
      });
      return this.streamResumeStore;
    }
    return new FileResumeStore({ directory: this.config.resumeDir });
  }

  /** Where the VMs' pinned identities are kept: for replicas on the stream `vnfkit.pins.<endpoint>`, else in `identityPinsFile`. */
  private async openIdentityPins(): Promise<IdentityPins> {
    if (this.options.replicated && this.emsTransport)
      return StreamIdentityPins.open({ transport: this.emsTransport, stream: `vnfkit.pins.${this.config.endpoint}`, logger: this.log });
    return FileIdentityPins.open(this.config.identityPinsFile, this.log);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.streamResumeStore?.close().catch(() => undefined);
    await this.identityPins?.close().catch(() => undefined);
    await this.ems?.stop().catch(() => undefined);
    await this.emsTransport?.close().catch(() => undefined);
  }

  protected override userData({ vnfr, extension }: UserDataContext): string {
    if (!this.genericOptions.userDataTemplate) return '';
    const credentials = emsCredentials(this.config);
    const master = this.config.ems.signingKey;
    // Per VNFR: the VMs get their VNFR's key, never the master; each signs with deriveAgentKey(it, own hostname).
    if (master !== undefined && (typeof vnfr.id !== 'string' || vnfr.id === ''))
      throw new ConfigError('cannot give the VMs a signing key: the VNFR has no id yet');
    const signingKey = master === undefined ? undefined : deriveVnfrKey(master, vnfr.id as string);
    return fillUserData(this.genericOptions.userDataTemplate, {
      brokerIp: extension['brokerIp'] ?? new URL(firstUrl(this.config.amqpUrl)).hostname,
      brokerPort: extension['brokerPort'] ?? '5672',
      // The other nodes of a cluster's URL list, for the agents to fail over to.
      brokerIps: splitUrls(this.config.amqpUrl)
        .slice(1)
        .map((url) => new URL(url).host)
        .join(','),
      username: credentials.username,
      password: credentials.password,
      type: this.config.endpoint,
      heartbeatS: this.config.ems.heartbeatS,
      autodelete: this.config.ems.autodelete,
      // The agents use the VNFM's virtual host (the AMQP URL's path; none: the default `/`).
      virtualHost: virtualHostOf(this.config.amqpUrl),
      ...(signingKey !== undefined && master !== undefined ? { signingKey, vnfmPublicKey: vnfmIdentity(master).publicKey } : {}),
      ...(extension['monitoringIp'] !== undefined ? { monitoringIp: extension['monitoringIp'] } : {}),
      ...(extension['timezone'] !== undefined ? { timezone: extension['timezone'] } : {}),
    });
  }

  /** Names descriptors may turn into variables although the protocol's rule refuses them (`ems.allowEnv`). */
  private get allowEnv(): string[] {
    return parseEnvNameList(this.config.ems.allowEnv);
  }

  /**
   * Refuses a descriptor whose keys would become environment variables the agents refuse (`BASH_ENV`,
   * `LD_PRELOAD`, `PATH`, … issue #15) before GRANT_OPERATION, so no VM is created for a VNF whose scripts
   * could never run: `configurations` and `provides` keys, `requires` parameters, network names.
   */
  protected override validateInstantiate({ message, vnfr, restart }: ValidateInstantiateContext): void {
    const vnfd = message.vnfd;
    const names = [...descriptorEnvNames(vnfd), ...(restart ? recordEnvNames(vnfr) : [])];
    assertEnvNamesAllowed(
      `INSTANTIATE refused: VNFD ${vnfd.name ?? vnfr.name ?? '(no name)'} would give its scripts refused environment variables`,
      names,
      this.allowEnv,
    );
  }

  /** Refuses dependency parameters that would become refused variables, before any script of the event runs. */
  private checkDependency(action: string, vnfr: Vnfr, dependency: VNFRecordDependency | undefined): void {
    assertEnvNamesAllowed(
      `${action} refused: the dependency of VNFR ${vnfr.name ?? vnfr.id ?? '(no name)'} would give its scripts refused environment variables`,
      dependencyEnvNames(dependency),
      this.allowEnv,
    );
  }

  protected override async instantiate({ vnfr, vnfPackage }: InstantiateContext): Promise<Vnfr> {
    this.track(vnfr);
    const scripts = sourceOf(vnfPackage);
    await this.plugins.run('instantiate', { vnfr, vnfcs: allVnfcs(vnfr), scripts }, (adjust) =>
      this.lifecycle.instantiate({ vnfr, scripts, adjust }),
    );
    return vnfr;
  }

  protected override async modify({ vnfr, dependency }: ModifyContext): Promise<Vnfr> {
    this.track(vnfr);
    this.checkDependency('MODIFY', vnfr, dependency);
    await this.plugins.run('configure', { vnfr, vnfcs: allVnfcs(vnfr), dependency }, (adjust) =>
      this.lifecycle.modify({ vnfr, dependency: dependency ?? null, adjust }),
    );
    return vnfr;
  }

  protected override async start({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    this.track(vnfr);
    const vnfcs = vnfcInstance ? [vnfcInstance] : allVnfcs(vnfr);
    await this.plugins.run('start', { vnfr, vnfcs, vnfc: vnfcInstance }, (adjust) =>
      this.lifecycle.start({ vnfr, vnfc: vnfcInstance ?? null, adjust }),
    );
    return vnfr;
  }

  protected override async stop({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    this.track(vnfr);
    const vnfcs = vnfcInstance ? [vnfcInstance] : allVnfcs(vnfr);
    await this.plugins.run('stop', { vnfr, vnfcs, vnfc: vnfcInstance }, (adjust) =>
      this.lifecycle.stop({ vnfr, vnfc: vnfcInstance ?? null, adjust }),
    );
    return vnfr;
  }

  protected override async terminate({ vnfr }: HookContext): Promise<Vnfr> {
    this.track(vnfr);
    await this.plugins.run('terminate', { vnfr, vnfcs: allVnfcs(vnfr) }, (adjust) => this.lifecycle.terminate({ vnfr, adjust }));
    return vnfr;
  }

  protected override async scaleOut({ vnfr, vnfcInstance, vnfPackage, dependency, mode }: ScaleOutContext): Promise<Vnfr> {
    this.track(vnfr);
    this.checkDependency('SCALE_OUT', vnfr, dependency);
    const standby = mode?.toLowerCase() === 'standby' || vnfcInstance.state?.toLowerCase() === 'standby';
    await this.plugins.run('scaleOut', { vnfr, vnfcs: [vnfcInstance], vnfc: vnfcInstance, dependency, standby }, (adjust) =>
      this.lifecycle.scaleOut({ vnfr, vnfc: vnfcInstance, scripts: sourceOf(vnfPackage), dependency: dependency ?? null, standby, adjust }),
    );
    return vnfr;
  }

  protected override async scaleIn({ vnfr, vnfcInstance }: ScaleInContext): Promise<void> {
    this.track(vnfr);
    if (vnfcInstance) {
      await this.plugins.run('scaleIn', { vnfr, vnfcs: allVnfcs(vnfr), removed: vnfcInstance }, (adjust) =>
        this.lifecycle.scaleIn({ vnfr, removed: vnfcInstance, adjust }),
      );
    }
  }

  protected override async heal({ vnfr, vnfcInstance, cause }: HealContext): Promise<Vnfr> {
    this.track(vnfr);
    if (vnfcInstance) {
      await this.plugins.run('heal', { vnfr, vnfcs: [vnfcInstance], vnfc: vnfcInstance, cause: cause ?? '' }, (adjust) =>
        this.lifecycle.heal({ vnfr, vnfc: vnfcInstance, cause: cause ?? '', adjust }),
      );
    }
    return vnfr;
  }

  protected override async update({ vnfr, script }: UpdateContext): Promise<Vnfr> {
    this.track(vnfr);
    const file = script ? { name: script.name, content: bytesOf(script) } : undefined;
    await this.plugins.run('update', { vnfr, vnfcs: allVnfcs(vnfr), script: file }, (adjust) =>
      this.lifecycle.update({ vnfr, script: file ?? null, adjust }),
    );
    return vnfr;
  }

  protected override async execute({ vnfr, script }: ExecuteContext): Promise<Vnfr> {
    this.track(vnfr);
    await this.lifecycle.executeScript({ vnfr, script: { name: script.name, content: bytesOf(script) } });
    return vnfr;
  }

  protected override async resume({ vnfr, dependency }: ResumeContext): Promise<ResumeResult> {
    this.track(vnfr);
    this.checkDependency('RESUME', vnfr, dependency);
    const { action } = await this.lifecycle.resume({ vnfr, dependency: dependency ?? null });
    return { action: action as ResumeResult['action'], vnfr };
  }

  protected override async onNfvoError({ vnfr, message, logger }: NfvoErrorContext): Promise<void> {
    this.track(vnfr);
    logger.warn({ nfvoMessage: message }, 'NFVO reported an error; running ERROR scripts');
    if (vnfr) await this.lifecycle.error({ vnfr });
  }

  /**
   * A command the previous process was running when it died: unless a script failure is already recorded,
   * remember the event from its first script, so that RESUME re-runs it (its scripts may run a second time).
   */
  protected override async onInterrupted({ action, vnfr, logger }: InterruptedContext): Promise<void> {
    const event = INTERRUPTIBLE[action];
    const store = this.resumeStore;
    if (!event || !store || !vnfr?.id) return;
    if (await store.get(vnfr.id)) return;
    await store.record({
      vnfrId: vnfr.id,
      vnfrName: vnfr.name ?? '',
      event,
      scriptIndex: 0,
      scriptName: '(interrupted by a VNFM restart)',
      hostname: '',
      at: new Date().toISOString(),
    });
    logger.warn({ event }, 'interrupted by a VNFM restart: RESUME re-runs the event from its first script');
  }

  protected override async logs(input: {
    vnfrName: string | undefined;
    hostname: string | undefined;
  }): Promise<{ outputLog: string[]; errorLog: string[] }> {
    return this.lifecycle.logs({ vnfrName: input.vnfrName ?? '', hostname: input.hostname ?? '' });
  }
}
