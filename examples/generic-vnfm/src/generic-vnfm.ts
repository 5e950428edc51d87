import type { Script, VNFPackage, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import {
  AbstractVnfm, EmsClient, EmsCommandError, createAmqpTransport,
  type ExecuteContext, type HealContext, type HookContext, type InstantiateContext, type InterruptedContext, type ModifyContext, type NfvoErrorContext,
  type ResumeContext, type ResumeResult, type ScaleInContext, type ScaleOutContext, type StartStopContext, type Transport,
  type TransportFactory, type UpdateContext, type UserDataContext,
} from '@vnfkit/vnfm-sdk';
import { pino, type Logger } from 'pino';
import { emsCredentials, type GenericVnfmConfig } from './config.js';
import type { AgentChannel, PackageFile } from './lifecycle/agent-channel.js';
import { GenericLifecycle, type ScriptSource } from './lifecycle/generic-lifecycle.js';
import type { CommandReply } from './lifecycle/run-plan.js';
import { ScriptLogs } from './logs/index.js';
import { FileResumeStore, type ResumableEvent, type ResumeStore } from './resume-store/index.js';
import { fillUserData } from './user-data.js';

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
}

const bytesOf = (script: Script): Uint8Array => Uint8Array.from(script.payload ?? [], (b) => b & 0xff);
const filesOf = (pkg: VNFPackage | undefined): PackageFile[] => (pkg?.scripts ?? []).map((s) => ({ name: s.name, content: bytesOf(s) }));
const sourceOf = (pkg: VNFPackage | undefined): ScriptSource => (pkg?.scriptsLink ? { scriptsLink: pkg.scriptsLink } : { files: filesOf(pkg) });

/** NFVO actions whose interruption RESUME can retry, and the lifecycle event each runs. */
const INTERRUPTIBLE: Partial<Record<string, ResumableEvent>> = {
  INSTANTIATE: 'INSTANTIATE', MODIFY: 'CONFIGURE', START: 'START', STOP: 'STOP', RELEASE_RESOURCES: 'TERMINATE', HEAL: 'HEAL', UPDATE: 'UPDATE',
};

/** Adapts the SDK's EmsClient to the lifecycle's AgentChannel: replies of any status come back as replies. */
function agentChannel(ems: EmsClient, config: GenericVnfmConfig): AgentChannel {
  const asReply = async (send: () => Promise<CommandReply>): Promise<CommandReply> => {
    try {
      return await send();
    } catch (error) {
      if (error instanceof EmsCommandError) return { output: error.details.stdout, err: error.details.stderr, status: error.details.status };
      throw error;
    }
  };
  const timeoutMs = config.ems.commandTimeoutS * 1000;
  const scriptPath = config.ems.scriptPath;
  return {
    waitForAgent: (hostname) => ems.waitForAgent(hostname, config.ems.startTimeoutS * 1000),
    saveScript: (hostname, file) => asReply(() => ems.send(hostname, { action: 'SAVE_SCRIPTS', name: file.name, payload: Buffer.from(file.content).toString('base64'), 'script-path': scriptPath }, { timeoutMs })),
    cloneScripts: (hostname, url) => asReply(() => ems.send(hostname, { action: 'CLONE_SCRIPTS', payload: url, 'script-path': scriptPath }, { timeoutMs })),
    execute: (hostname, script, env) =>
      asReply(() => ems.send(hostname, env === undefined ? { action: 'EXECUTE', payload: script, 'script-path': scriptPath } : { action: 'EXECUTE', payload: script, env }, { timeoutMs })),
    updateScript: (hostname, file) => asReply(() => ems.send(hostname, { action: 'SCRIPTS_UPDATE', name: file.name, payload: Buffer.from(file.content).toString('base64'), 'script-path': scriptPath }, { timeoutMs })),
    saveVnfrDependency: (hostname, payload) => asReply(() => ems.send(hostname, { action: 'SAVE_VNFR_DEPENDENCY', payload, 'script-path': scriptPath }, { timeoutMs })),
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
  private resumeStore: ResumeStore | undefined;
  private readonly config: GenericVnfmConfig;
  private readonly log: Logger;

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

  protected override async onConnected(): Promise<void> {
    const url = new URL(this.config.amqpUrl);
    // The EMS side runs on the VNFM's own broker account (AMQP_URL), like upstream's Spring connection:
    // the per-VNFM user the NFVO hands out may not declare `openbaton-exchange` or `ems.<type>.register`.
    // Agent replies come back on a lasting reply queue: when this connection drops while a script runs,
    // the command keeps waiting for the agent's reply instead of failing — a failure would be resumed
    // by running the script a second time.
    this.emsTransport = this.genericOptions.transportFactory
      ? await this.genericOptions.transportFactory(undefined)
      : await createAmqpTransport({ url: this.config.amqpUrl, connectionName: `generic-vnfm-ems-${this.config.type}`, replyMode: 'lasting-queue', logger: this.log });
    this.ems = new EmsClient({
      transport: this.emsTransport,
      endpoint: this.config.endpoint,
      commandTimeoutMs: this.config.ems.commandTimeoutS * 1000,
      helloTimeoutMs: this.config.ems.startTimeoutS * 1000,
      brokerAddress: `${url.hostname}:${url.port || '5672'}`,
      scriptPath: this.config.ems.scriptPath,
      ...(this.config.ems.signingKey !== undefined ? { signingKey: this.config.ems.signingKey } : {}),
      logger: this.log,
    });
    await this.ems.start();
    this.lifecycleValue = new GenericLifecycle({
      agents: agentChannel(this.ems, this.config),
      resumeStore: (this.resumeStore = this.genericOptions.resumeStore ?? new FileResumeStore({ directory: this.config.resumeDir })),
      logs: new ScriptLogs({ directory: this.config.logDir, maxBytesPerFile: this.config.scriptLogMaxBytes }),
      vnfcConcurrency: this.config.vnfcConcurrency,
      startTimeoutS: this.config.ems.startTimeoutS,
      logger: this.log,
    });
  }

  override async close(): Promise<void> {
    await super.close();
    await this.ems?.stop().catch(() => undefined);
    await this.emsTransport?.close().catch(() => undefined);
  }

  protected override userData({ extension }: UserDataContext): string {
    if (!this.genericOptions.userDataTemplate) return '';
    const credentials = emsCredentials(this.config);
    return fillUserData(this.genericOptions.userDataTemplate, {
      brokerIp: extension['brokerIp'] ?? new URL(this.config.amqpUrl).hostname,
      brokerPort: extension['brokerPort'] ?? '5672',
      username: credentials.username,
      password: credentials.password,
      type: this.config.endpoint,
      heartbeatS: this.config.ems.heartbeatS,
      autodelete: this.config.ems.autodelete,
      ...(extension['monitoringIp'] !== undefined ? { monitoringIp: extension['monitoringIp'] } : {}),
      ...(extension['timezone'] !== undefined ? { timezone: extension['timezone'] } : {}),
    });
  }

  protected override async instantiate({ vnfr, vnfPackage }: InstantiateContext): Promise<Vnfr> {
    await this.lifecycle.instantiate({ vnfr, scripts: sourceOf(vnfPackage) });
    return vnfr;
  }

  protected override async modify({ vnfr, dependency }: ModifyContext): Promise<Vnfr> {
    await this.lifecycle.modify({ vnfr, dependency: dependency ?? null });
    return vnfr;
  }

  protected override async start({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    await this.lifecycle.start({ vnfr, vnfc: vnfcInstance ?? null });
    return vnfr;
  }

  protected override async stop({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    await this.lifecycle.stop({ vnfr, vnfc: vnfcInstance ?? null });
    return vnfr;
  }

  protected override async terminate({ vnfr }: HookContext): Promise<Vnfr> {
    await this.lifecycle.terminate({ vnfr });
    return vnfr;
  }

  protected override async scaleOut({ vnfr, vnfcInstance, vnfPackage, dependency, mode }: ScaleOutContext): Promise<Vnfr> {
    await this.lifecycle.scaleOut({ vnfr, vnfc: vnfcInstance, scripts: sourceOf(vnfPackage), dependency: dependency ?? null, standby: mode?.toLowerCase() === 'standby' });
    return vnfr;
  }

  protected override async scaleIn({ vnfr, vnfcInstance }: ScaleInContext): Promise<void> {
    if (vnfcInstance) await this.lifecycle.scaleIn({ vnfr, removed: vnfcInstance });
  }

  protected override async heal({ vnfr, vnfcInstance, cause }: HealContext): Promise<Vnfr> {
    if (vnfcInstance) await this.lifecycle.heal({ vnfr, vnfc: vnfcInstance, cause: cause ?? '' });
    return vnfr;
  }

  protected override async update({ vnfr, script }: UpdateContext): Promise<Vnfr> {
    await this.lifecycle.update({ vnfr, script: script ? { name: script.name, content: bytesOf(script) } : null });
    return vnfr;
  }

  protected override async execute({ vnfr, script }: ExecuteContext): Promise<Vnfr> {
    await this.lifecycle.executeScript({ vnfr, script: { name: script.name, content: bytesOf(script) } });
    return vnfr;
  }

  protected override async resume({ vnfr, dependency }: ResumeContext): Promise<ResumeResult> {
    const { action } = await this.lifecycle.resume({ vnfr, dependency: dependency ?? null });
    return { action: action as ResumeResult['action'], vnfr };
  }

  protected override async onNfvoError({ vnfr, message, logger }: NfvoErrorContext): Promise<void> {
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
      vnfrId: vnfr.id, vnfrName: vnfr.name ?? '', event, scriptIndex: 0, scriptName: '(interrupted by a VNFM restart)', hostname: '', at: new Date().toISOString(),
    });
    logger.warn({ event }, 'interrupted by a VNFM restart: RESUME re-runs the event from its first script');
  }

  protected override async logs(input: { vnfrName: string | undefined; hostname: string | undefined }): Promise<{ outputLog: string[]; errorLog: string[] }> {
    return this.lifecycle.logs({ vnfrName: input.vnfrName ?? '', hostname: input.hostname ?? '' });
  }
}
