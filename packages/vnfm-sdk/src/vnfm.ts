import { randomUUID } from 'node:crypto';
import { toError, type ManagerCredentials, type VirtualNetworkFunctionRecord, type VnfmManagerEndpoint } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { resolveVnfmOptions, type ResolvedVnfmOptions, type VnfmOptions } from './config.js';
import { OperationJournal } from './journal/operation-journal.js';
import { managerEndpoint, unregisterFromNfvo } from './nfvo/nfvo-client.js';
import type { Consumer, Transport } from '@vnfkit/transport';
import { CommandHandler } from './vnfm/command-handler.js';
import { declareEndpointQueue, registerAndOpen } from './vnfm/connection.js';
import { Deliveries } from './vnfm/deliveries.js';
import { ReplicaPresence } from './vnfm/presence.js';
import type {
  ExecuteContext,
  HealContext,
  HookContext,
  InstantiateContext,
  InterruptedContext,
  ModifyContext,
  NfvoErrorContext,
  ResumeContext,
  ResumeResult,
  ScaleInContext,
  ScaleOutContext,
  StartStopContext,
  UpdateContext,
  UserDataContext,
  ValidateInstantiateContext,
  VnfmHooks,
  VnfmState,
} from './vnfm/hooks.js';

export type {
  ExecuteContext,
  HealContext,
  HookContext,
  InstantiateContext,
  InterruptedContext,
  ModifyContext,
  NfvoErrorContext,
  ResumeContext,
  ResumeResult,
  ScaleInContext,
  ScaleOutContext,
  StartStopContext,
  UpdateContext,
  UserDataContext,
  ValidateInstantiateContext,
  VnfmState,
} from './vnfm/hooks.js';
export { withPackageUserData } from './vnfm/user-data.js';

type Vnfr = VirtualNetworkFunctionRecord;

/**
 * An abstract VNF manager: connects, registers with the NFVO, consumes its `<endpoint>` queue and answers
 * every command exactly once. Subclasses override the lifecycle hooks.
 *
 * @example
 * class MyVnfm extends AbstractVnfm {
 *   protected override async instantiate({ vnfr }: InstantiateContext) { return vnfr; }
 * }
 * const vnfm = new MyVnfm({ type: 'mytype' });
 * await vnfm.connect();
 */
export abstract class AbstractVnfm {
  /** Resolved options. */
  readonly options: ResolvedVnfmOptions;
  protected readonly logger: Logger;
  private transportInUse: Transport | undefined;
  private consumer: Consumer | undefined;
  private credentials: ManagerCredentials | undefined;
  private stateValue: VnfmState = 'idle';
  private journalInUse: OperationJournal | undefined;
  private presence: ReplicaPresence | undefined;

  constructor(options: VnfmOptions) {
    this.options = resolveVnfmOptions(options);
    this.logger = (options.logger ?? pino({ enabled: false })).child({ component: 'vnfm', vnfmType: this.options.type });
  }

  /** Current lifecycle state. */
  get state(): VnfmState {
    return this.stateValue;
  }

  /** The transport the VNFM runs on (after {@link connect}). */
  get transport(): Transport {
    if (!this.transportInUse) throw new Error('VNFM is not connected');
    return this.transportInUse;
  }

  /** The endpoint this VNFM registers. */
  get endpoint(): VnfmManagerEndpoint {
    return managerEndpoint(this.options);
  }

  // ---- hooks ----

  /**
   * Checks an INSTANTIATE before anything is asked of the NFVO: throwing answers ERROR (with the VNFR built from
   * the VNFD, and the error's message) without GRANT_OPERATION or ALLOCATE_RESOURCES, so no VM is created for a
   * descriptor the VNFM cannot run. Also called on a restart, before {@link instantiate}. Default: accepts.
   */
  protected validateInstantiate(_ctx: ValidateInstantiateContext): void | Promise<void> {}

  /** Runs after GRANT_OPERATION and ALLOCATE_RESOURCES (or directly on a restart); returns the VNFR to reply with. */
  protected abstract instantiate(ctx: InstantiateContext): Promise<Vnfr>;
  /** MODIFY: configure with the dependency parameters. */
  protected async modify(ctx: ModifyContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** START of the VNFR or of one VNFC. */
  protected async start(ctx: StartStopContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** STOP of the VNFR or of one VNFC. */
  protected async stop(ctx: StartStopContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** RELEASE_RESOURCES: the NFVO deletes the VMs after the reply. */
  protected async terminate(ctx: HookContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** SCALE_OUT, after SCALING created the VM. */
  protected async scaleOut(ctx: ScaleOutContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** SCALE_IN on a dependency target; the reply is `null`. */
  protected async scaleIn(_ctx: ScaleInContext): Promise<void> {}
  /** HEAL of one VNFC. */
  protected async heal(ctx: HealContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** UPDATE (script update or UPDATE scripts). */
  protected async update(ctx: UpdateContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** EXECUTE of an ad-hoc script. */
  protected async execute(ctx: ExecuteContext): Promise<Vnfr> {
    return ctx.vnfr;
  }
  /** RESUME after an error; the default cannot resume and reports ERROR. */
  protected async resume(ctx: ResumeContext): Promise<ResumeResult> {
    throw new Error(`VNFM ${this.options.type} cannot resume VNFR ${ctx.vnfr.name ?? ''}`);
  }
  /** ERROR command from the NFVO; the reply is `null`. */
  protected async onNfvoError(ctx: NfvoErrorContext): Promise<void> {
    ctx.logger.warn({ nfvoMessage: ctx.message }, 'NFVO reported an error for a VNFR');
  }
  /** LOG_REQUEST. */
  protected async logs(_input: {
    vnfrName: string | undefined;
    hostname: string | undefined;
  }): Promise<{ outputLog: string[]; errorLog: string[] }> {
    return { outputLog: [], errorLog: [`log retrieval is not supported by VNFM ${this.options.type}`] };
  }
  /** Cloud-init user data sent with ALLOCATE_RESOURCES and SCALING. */
  protected userData(_ctx: UserDataContext): string {
    return '';
  }
  /**
   * A command that a previous process of this VNFM received but never answered (it was killed mid-operation).
   * The SDK answers it with ERROR (carrying the VNFR as far as it got) after this hook; override it to prepare
   * a later RESUME. It never re-runs the command: that could GRANT or allocate a second time.
   */
  protected async onInterrupted(ctx: InterruptedContext): Promise<void> {
    ctx.logger.warn({ step: ctx.step }, 'command interrupted by a VNFM restart; answering ERROR');
  }
  /** Creates the VMs when `allocate` is 'vnfm'; must fill `vdu[].vnfc_instance`. */
  protected async allocate(ctx: HookContext & { vduVim: Record<string, unknown> }): Promise<Vnfr> {
    throw new Error(`VNFM ${this.options.type} has allocate: 'vnfm' but does not override allocate() for ${ctx.vnfr.name ?? ''}`);
  }

  // ---- runtime ----

  /** Connects, registers with the NFVO and starts consuming commands. */
  async connect(): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error(`VNFM cannot connect in state ${this.stateValue}`);
    this.stateValue = 'connecting';
    try {
      const { replicated } = this.options;
      // A replica's journal is on the broker (opened once connected), a single process's in its file.
      if (!replicated) this.journalInUse = await OperationJournal.open({ file: this.options.journalFile, logger: this.logger });
      const registered = await registerAndOpen({ options: this.options, logger: this.logger, endpoint: this.endpoint });
      this.credentials = registered.credentials;
      const transport = (this.transportInUse = registered.transport);
      const replicaId = randomUUID();
      const journal = (this.journalInUse ??= await OperationJournal.open({
        stream: { transport, name: `vnfkit.journal.${this.options.endpoint}` },
        owner: replicaId,
        logger: this.logger,
      }));
      let replicas: { presence: ReplicaPresence; takeoverGraceMs: number } | undefined;
      if (replicated) {
        const presence = (this.presence = new ReplicaPresence(transport, this.options.endpoint, replicaId));
        await presence.start();
        replicas = { presence, takeoverGraceMs: this.options.takeoverGraceMs };
        this.logger.info({ replicaId }, 'running as a replica: shared journal, single active consumer');
      }
      const queue = await declareEndpointQueue(transport, this.options);
      await this.onConnected(transport);
      const hooks = this.boundHooks();
      const commands = new CommandHandler({ transport, options: this.options, hooks, logger: this.logger, journal });
      const deliveries = new Deliveries({
        journal,
        transport,
        logger: this.logger,
        vnfmType: this.options.type,
        hooks,
        handleCommand: (delivery, key, resumeFrom) => commands.handle(delivery, key, resumeFrom),
        replicas,
      });
      await deliveries.answerInterrupted();
      this.consumer = await transport.consume(queue, (m) => deliveries.handle(m), {
        prefetch: this.options.concurrency,
        concurrency: this.options.concurrency,
      });
      this.stateValue = 'running';
    } catch (error) {
      this.stateValue = 'failed';
      await this.transportInUse?.close().catch(() => undefined);
      await this.journalInUse?.close().catch(() => undefined);
      throw error;
    }
  }

  /** Called once the per-VNFM transport is open, before commands are consumed (e.g. to start an EMS client). */
  protected async onConnected(_transport: Transport): Promise<void> {}

  /** Stops consuming (commands in flight finish and are answered), unregisters and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed' || this.stateValue === 'closing') return;
    this.stateValue = 'closing';
    await this.consumer?.cancel();
    await this.presence?.close();
    // A replica leaves the endpoint registered: the other replicas still serve it.
    if (this.transportInUse && this.credentials && !this.options.replicated) {
      await unregisterFromNfvo(this.transportInUse, { endpoint: this.endpoint, credentials: this.credentials }).catch((error: unknown) =>
        this.logger.warn({ err: toError(error).message }, 'unregister failed'),
      );
    }
    await this.transportInUse?.close();
    await this.journalInUse?.close();
    this.stateValue = 'closed';
  }

  /** Async disposal for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The hooks, bound to this VNFM, for the command handling and the flows (they stay protected here). */
  private boundHooks(): VnfmHooks {
    return {
      validateInstantiate: (ctx) => this.validateInstantiate(ctx),
      instantiate: (ctx) => this.instantiate(ctx),
      modify: (ctx) => this.modify(ctx),
      start: (ctx) => this.start(ctx),
      stop: (ctx) => this.stop(ctx),
      terminate: (ctx) => this.terminate(ctx),
      scaleOut: (ctx) => this.scaleOut(ctx),
      scaleIn: (ctx) => this.scaleIn(ctx),
      heal: (ctx) => this.heal(ctx),
      update: (ctx) => this.update(ctx),
      execute: (ctx) => this.execute(ctx),
      resume: (ctx) => this.resume(ctx),
      onNfvoError: (ctx) => this.onNfvoError(ctx),
      logs: (input) => this.logs(input),
      userData: (ctx) => this.userData(ctx),
      onInterrupted: (ctx) => this.onInterrupted(ctx),
      allocate: (ctx) => this.allocate(ctx),
    };
  }
}
