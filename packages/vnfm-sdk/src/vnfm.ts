import { createHash } from 'node:crypto';
import {
  EXCHANGE, ProtocolError, allVnfcs, decodeNfvoCommand, encodeMessage, payloadToBytes, recordOf, toError, vnfmErrorMessage,
  type ManagerCredentials, type NfvoCommand, type OrVnfmInstantiateMessage, type OrVnfmScalingMessage,
  type Script, type VNFCInstance, type VNFComponent, type VNFPackage, type VNFRecordDependency, type VirtualNetworkFunctionRecord,
  type VnfmManagerEndpoint, type VnfmMessage,
} from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { resolveVnfmOptions, type BrokerCredentials, type ResolvedVnfmOptions, type VnfmOptions } from './config.js';
import { OperationJournal, type JournalRecord, type JournalStep } from './journal/operation-journal.js';
import { managerEndpoint, registerWithNfvo, requestNfvo, unregisterFromNfvo } from './nfvo/nfvo-client.js';
import { NfvoRefusedError } from './errors.js';
import { createAmqpTransport } from './transport/amqp.js';
import type { Consumer, IncomingMessage, Transport } from './transport/transport.js';
import { buildVnfr } from './vnfr.js';

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
  private readonly locks = new Map<string, Promise<unknown>>();
  private journalInUse: OperationJournal | undefined;
  /** Commands being handled in this process, by correlation id (a redelivery waits for the original). */
  private readonly inFlight = new Map<string, Promise<void>>();

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
  protected async logs(_input: { vnfrName: string | undefined; hostname: string | undefined }): Promise<{ outputLog: string[]; errorLog: string[] }> {
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

  private get journal(): OperationJournal {
    if (!this.journalInUse) throw new Error('VNFM is not connected');
    return this.journalInUse;
  }

  private async openTransport(credentials: BrokerCredentials | undefined, bootstrap = false): Promise<Transport> {
    if (this.options.transportFactory) return this.options.transportFactory(credentials);
    const url = new URL(this.options.amqpUrl);
    if (credentials) {
      url.username = encodeURIComponent(credentials.username);
      url.password = encodeURIComponent(credentials.password);
    }
    // A bootstrap connection used only to register asks one question: direct reply-to does, and Open Baton's
    // manager user may declare no named queue (SystemStartup.java 6.0.0:96-105: configure `^amq\.gen.*|amq\.default$`).
    const replyMode = bootstrap && !this.options.reuseBootstrapConnection ? 'direct' : this.options.nfvoReplyMode;
    // The lasting reply queue is named after the connection; with the endpoint in it the per-VNFM user the NFVO
    // creates may declare it (configure `(<endpoint>)`, unanchored: ComponentManager.java 6.0.0:331-344).
    const { type, endpoint } = this.options;
    const connectionName = endpoint === type || type.includes(endpoint) ? `vnfm-${type}` : `vnfm-${type}.${endpoint}`;
    return createAmqpTransport({ url: url.toString(), logger: this.logger, connectionName, replyMode });
  }

  /** Connects, registers with the NFVO and starts consuming commands. */
  async connect(): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error(`VNFM cannot connect in state ${this.stateValue}`);
    this.stateValue = 'connecting';
    try {
      this.journalInUse = await OperationJournal.open({ file: this.options.journalFile, logger: this.logger });
      const bootstrap = await this.openTransport(this.options.bootstrapCredentials, true);
      await this.declareEndpointQueue(bootstrap).catch((error: unknown) =>
        this.logger.debug({ err: toError(error).message }, 'bootstrap user cannot declare the endpoint queue; declaring it after registration'),
      );
      this.credentials = await registerWithNfvo(bootstrap, {
        endpoint: this.endpoint,
        timeoutMs: this.options.registerTimeoutMs,
        attempts: this.options.registerAttempts,
        onRetry: (attempt, error) => this.logger.warn({ attempt, err: error.message }, 'registration with the NFVO failed; retrying'),
      });
      this.logger.info({ username: this.credentials.rabbitUsername }, 'registered with the NFVO');
      if (this.options.reuseBootstrapConnection) {
        this.transportInUse = bootstrap;
      } else {
        await bootstrap.close();
        this.transportInUse = await this.openTransport({ username: this.credentials.rabbitUsername, password: this.credentials.rabbitPassword });
      }
      const queue = await this.declareEndpointQueue(this.transportInUse);
      await this.onConnected(this.transportInUse);
      await this.answerInterrupted();
      this.consumer = await this.transportInUse.consume(queue, (m) => this.handleDelivery(m), {
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

  /**
   * Declared before registering too: the NFVO may send a command as soon as the registration is answered,
   * and a command published before the queue exists is dropped by the broker.
   */
  private async declareEndpointQueue(transport: Transport): Promise<string> {
    const queue = await transport.declareQueue(this.options.endpoint, { durable: true, autoDelete: this.options.endpointQueueAutoDelete });
    await transport.bindQueue(queue, EXCHANGE, queue);
    return queue;
  }

  /** Called once the per-VNFM transport is open, before commands are consumed (e.g. to start an EMS client). */
  protected async onConnected(_transport: Transport): Promise<void> {}

  /** Stops consuming (commands in flight finish and are answered), unregisters and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed' || this.stateValue === 'closing') return;
    this.stateValue = 'closing';
    await this.consumer?.cancel();
    if (this.transportInUse && this.credentials) {
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

  /**
   * Commands are journaled under {@link commandKey}: a redelivery of a command still running here waits for it,
   * one already answered is acknowledged without running it again, and one a previous process left unanswered
   * is answered from the journal (see {@link answerInterrupted}).
   */
  private async handleDelivery(delivery: IncomingMessage): Promise<void> {
    const key = this.commandKey(delivery);
    if (key === undefined) return this.handleCommand(delivery, undefined);
    const running = this.inFlight.get(key);
    if (running) {
      this.logger.warn({ commandKey: key }, 'redelivery of a command still running; it is answered once, when it finishes');
      await running;
      return;
    }
    const known = this.journal.get(key);
    if (known) {
      await this.finishFromJournal(known);
      return;
    }
    const work = this.handleCommand(delivery, key);
    this.inFlight.set(key, work);
    try {
      await work;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * What identifies a command across redeliveries and VNFM restarts (none without `reply_to`: nobody waits).
   * With a correlation id, that id. Open Baton's NFVO sends none (Spring AMQP 1.7 `convertSendAndReceive`,
   * `RabbitTemplate.doSendAndReceiveWithTemporary`): then its reply address — RabbitMQ makes a new direct
   * reply-to address for every consume, and Spring consumes once per request — with a digest of the body.
   * Only a broker redelivery (`redelivered`) can repeat a command: a fresh delivery under a known key (a
   * sender that reuses a reply queue and sends the same body again) is a new command and gets the next
   * generation of the key, `<key>#<n>`; a redelivery belongs to the newest generation.
   */
  private commandKey(delivery: IncomingMessage): string | undefined {
    const { replyTo, correlationId } = delivery.properties;
    if (!replyTo) return undefined;
    if (correlationId !== undefined) return correlationId;
    const base = `reply-to ${replyTo} sha256 ${createHash('sha256').update(delivery.body).digest('base64url')}`;
    let newest: string | undefined;
    for (let n = 1; ; n++) {
      const key = n === 1 ? base : `${base}#${n}`;
      if (this.journal.get(key) === undefined && !this.inFlight.has(key)) return delivery.redelivered ? (newest ?? key) : key;
      newest = key;
    }
  }

  /** Answers the commands a previous process of this VNFM received but did not answer (it crashed). */
  private async answerInterrupted(): Promise<void> {
    for (const record of this.journal.interrupted()) {
      if (this.journal.get(record.key)?.step === 'answered') continue;
      await this.finishFromJournal(record).catch((error: unknown) =>
        this.logger.error({ commandKey: record.key, err: toError(error).message }, 'could not answer an interrupted command; retrying on its redelivery'),
      );
    }
  }

  private async finishFromJournal(record: JournalRecord): Promise<void> {
    const log = this.logger.child({ action: record.action, vnfrId: record.vnfrId, vnfrName: record.vnfrName, commandKey: record.key });
    if (record.step === 'answered') {
      log.warn('redelivery of a command already answered; acknowledged without running it again');
      return;
    }
    let body = record.reply;
    if (body === undefined) {
      const ctx: InterruptedContext = { action: record.action, vnfr: record.vnfr, step: record.step, logger: log };
      await this.onInterrupted(ctx).catch((error: unknown) => log.error({ err: toError(error).message }, 'onInterrupted hook failed'));
      const what = `${record.action}${record.vnfrName ? ` of VNFR ${record.vnfrName}` : ''}`;
      const message = `VNFM ${this.options.type} was restarted while running ${what} (last step: ${record.step}); the operation was not completed and is not re-run`;
      body = Buffer.from(encodeMessage(vnfmErrorMessage({ vnfr: record.vnfr, message })).body).toString('utf8');
      await this.journal.step(record.key, 'replying', { reply: body });
    } else {
      log.warn('re-sending the stored answer of a command whose acknowledgement was lost');
    }
    // The reply carries the command's correlation id, or none when the command had none (as Spring answers).
    const properties = { ...encodeMessage(null).properties, ...(record.correlationId !== undefined ? { correlationId: record.correlationId } : {}) };
    if (record.replyTo) await this.transport.publish('', record.replyTo, body, properties);
    await this.journal.step(record.key, 'answered');
  }

  private async handleCommand(delivery: IncomingMessage, key: string | undefined): Promise<void> {
    const limit = this.options.maxCommandBytes;
    if (delivery.body.length > limit) {
      const message = `VNFM ${this.options.type} refuses a command of ${delivery.body.length} bytes: the limit is ${limit} bytes (maxCommandBytes)`;
      this.logger.error({ bytes: delivery.body.length, limit, correlationId: delivery.properties.correlationId }, 'oversized NFVO command refused');
      if (delivery.properties.replyTo) await this.reply(delivery, vnfmErrorMessage({ message }));
      return;
    }
    let command: NfvoCommand;
    try {
      command = decodeNfvoCommand(delivery.body);
    } catch (error) {
      const salvaged = salvageRecord(delivery.body);
      this.logger.error({ err: toError(error).message, correlationId: delivery.properties.correlationId }, 'undecodable NFVO command');
      if (delivery.properties.replyTo) {
        await this.reply(delivery, vnfmErrorMessage({ vnfr: salvaged, message: `VNFM ${this.options.type} could not decode the command: ${toError(error).message}` }));
      }
      return;
    }
    const vnfr = recordOf(command);
    const log = this.logger.child({ action: command.action, vnfrId: vnfr?.id, vnfrName: vnfr?.name });
    const lockKey = vnfr?.id ?? vnfr?.name;
    const track: Tracker = key === undefined ? async () => undefined : (step, patch) => this.journal.step(key, step, patch);
    await track('received', {
      action: command.action, vnfrId: vnfr?.id, vnfrName: vnfr?.name, replyTo: delivery.properties.replyTo, correlationId: delivery.properties.correlationId, vnfr,
    });
    let reply: VnfmMessage | null;
    try {
      reply = lockKey ? await this.serialised(lockKey, () => this.dispatch(command, log, track)) : await this.dispatch(command, log, track);
    } catch (error) {
      const e = toError(error);
      log.error({ err: e.message }, 'command failed; replying ERROR');
      reply = vnfmErrorMessage({ vnfr: (error as { vnfr?: Vnfr }).vnfr ?? vnfr, message: e.message });
    }
    if (delivery.properties.replyTo) await this.reply(delivery, reply, track);
    else if (reply) log.warn('command without reply_to; result not sent');
  }

  /** The reply is journaled before it is sent and marked answered once the broker confirmed it. */
  private async reply(delivery: IncomingMessage, message: VnfmMessage | null, track?: Tracker): Promise<void> {
    const encoded = encodeMessage(message);
    await track?.('replying', { reply: Buffer.from(encoded.body).toString('utf8') });
    await this.transport.reply(delivery, encoded.body, encoded.properties);
    await track?.('answered');
  }

  private async serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private async dispatch(command: NfvoCommand, logger: Logger, track: Tracker): Promise<VnfmMessage | null> {
    switch (command.action) {
      case 'INSTANTIATE': {
        const vnfr = await this.runInstantiate(command, logger, track);
        return vnfr === null ? null : { action: 'INSTANTIATE', virtualNetworkFunctionRecord: vnfr };
      }
      case 'MODIFY':
        return { action: 'MODIFY', virtualNetworkFunctionRecord: await this.modify({ vnfr: command.vnfr, dependency: command.vnfrd, logger }) };
      case 'START':
      case 'STOP': {
        const ctx = { vnfr: command.virtualNetworkFunctionRecord, vnfcInstance: command.vnfcInstance, logger };
        const result = command.action === 'START' ? await this.start(ctx) : await this.stop(ctx);
        const reply: VnfmMessage = { action: command.action, virtualNetworkFunctionRecord: result };
        if (command.vnfcInstance) reply.vnfcInstance = findVnfc(result, command.vnfcInstance) ?? command.vnfcInstance;
        return reply;
      }
      case 'RELEASE_RESOURCES':
        return { action: 'RELEASE_RESOURCES', virtualNetworkFunctionRecord: await this.terminate({ vnfr: command.vnfr, logger }) };
      case 'SCALE_OUT':
        return this.runScaleOut(command, logger);
      case 'SCALE_IN':
        await this.scaleIn({ vnfr: command.virtualNetworkFunctionRecord, vnfcInstance: command.vnfcInstance, logger });
        return null;
      case 'HEAL': {
        const result = await this.heal({ vnfr: command.virtualNetworkFunctionRecord, vnfcInstance: command.vnfcInstance, cause: command.cause, logger });
        const reply: VnfmMessage = { action: 'HEAL', virtualNetworkFunctionRecord: result };
        const vnfc = command.vnfcInstance ? (findVnfc(result, command.vnfcInstance) ?? command.vnfcInstance) : undefined;
        if (vnfc) reply.vnfcInstance = vnfc;
        // No `cause`, as the Java SDK replies (VnfmUtils.getNfvMessageHealed never sets it, VnfmUtils.java 6.0.0:82-89):
        // the NFVO's HealTask ends a heal whose reply names a cause other than switchToStandby, and passes the
        // VNFC to the dependent VNFRs (MODIFY) when there is none (HealTask.java 6.0.0:74-88).
        return reply;
      }
      case 'UPDATE':
        return { action: 'UPDATE', virtualNetworkFunctionRecord: await this.update({ vnfr: command.vnfr, script: command.script, logger }) };
      case 'EXECUTE':
        return { action: 'EXECUTE', virtualNetworkFunctionRecord: await this.execute({ vnfr: command.vnfr, script: command.script, logger }) };
      case 'RESUME': {
        const result = await this.resume({ vnfr: command.vnfr, dependency: command.vnfrd, logger });
        return resumedReply(result);
      }
      case 'ERROR':
        await this.onNfvoError({ vnfr: command.vnfr, message: command.message ?? '', logger });
        return null;
      case 'LOG_REQUEST':
        return { action: 'LOG_REQUEST', ...(await this.logs({ vnfrName: command.vnfrName, hostname: command.hostname })) };
      case 'CONFIGURE':
        return { action: 'CONFIGURE', virtualNetworkFunctionRecord: command.vnfr };
      case 'GRANT_OPERATION':
      case 'ALLOCATE_RESOURCES':
      case 'SCALED':
      case 'SCALING':
      case 'UPDATEVNFR':
        // Answers to our own requests arrive on the reply queue, never here.
        logger.warn('unexpected answer-type message on the command queue');
        return null;
    }
  }

  /**
   * `validateInstantiate`, GRANT_OPERATION, ALLOCATE_RESOURCES (unless the VNFM allocates), then the `instantiate` hook. A refusal
   * (the NFVO's ERROR answer) fails the command with the VNFR the NFVO has just saved; a JSON `null` answer (the
   * NFVO's task failed without a message, or the NSR is gone) ends it with the reply `null`, as the Java SDK does
   * (AbstractVnfm.java 6.0.0:329-331, 353-355): `null` is returned then.
   */
  private async runInstantiate(message: OrVnfmInstantiateMessage, logger: Logger, track: Tracker): Promise<Vnfr | null> {
    const extension = message.extension ?? {};
    const base = { message, vnfPackage: message.vnfPackage, scripts: message.vnfPackage?.scripts ?? [], extension };
    if (message.vnfr) {
      await this.validateInstantiate({ message, vnfr: message.vnfr, logger, restart: true });
      return this.instantiate({ ...base, vnfr: message.vnfr, logger, restart: true });
    }
    let vnfr = buildVnfr(message);
    try {
      await this.validateInstantiate({ message, vnfr, logger, restart: false });
      // Journaled first: a VNFM killed while it waits for the answer reports ERROR with this VNFR after its restart.
      await track('granting', { vnfr, vnfrName: vnfr.name });
      const grant = await requestNfvo(this.transport, {
        message: { action: 'GRANT_OPERATION', virtualNetworkFunctionRecord: vnfr },
        timeoutMs: this.options.grantTimeoutMs,
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
      if (this.options.allocate === 'vnfm') {
        vnfr = await this.allocate({ vnfr, vduVim, logger: vlog });
        await track('allocated', { vnfr });
      } else {
        const answer = await requestNfvo(this.transport, {
          message: {
            action: 'ALLOCATE_RESOURCES',
            virtualNetworkFunctionRecord: vnfr,
            vimInstances: vduVim,
            userdata: withPackageUserData(this.userData({ vnfr, extension, vnfPackage: message.vnfPackage }), message.vnfPackage),
            keyPairs: message.keys ?? [],
          },
          timeoutMs: this.options.allocateTimeoutMs,
          what: `ALLOCATE_RESOURCES for VNFR ${vnfr.name ?? ''}`,
        });
        if (answer === null) return answeredNull(vlog, 'ALLOCATE_RESOURCES', vnfr);
        const allocated = recordOf(answer);
        if (!allocated) throw new ProtocolError(`ALLOCATE_RESOURCES answer without a VNFR`);
        vnfr = allocated;
        await track('allocated', { vnfr });
        vlog.info({ hbVersion: vnfr.hbVersion }, 'resources allocated');
      }
      return await this.instantiate({ ...base, vnfr, logger: vlog, restart: false });
    } catch (error) {
      // Report ERROR with the VNFR as far as it got (never without one: the NFVO needs it); after a refusal that is
      // the record the NFVO saved, so that its ErrorTask updates it (AbstractVnfm.java 6.0.0:722-727, 794-800).
      throw Object.assign(toError(error), { vnfr: (error as { vnfr?: Vnfr }).vnfr ?? vnfr });
    }
  }

  /**
   * SCALING, then the `scaleOut` hook. As the Java SDK (AbstractVnfm.java 6.0.0:236-247): a refused SCALING
   * (ERROR) goes to {@link onNfvoError} with the NFVO's VNFR and the reply is `null`; a `null` answer leaves the
   * VNFR as the command had it, so no new VNFC is found and the reply is ERROR.
   */
  private async runScaleOut(message: OrVnfmScalingMessage, logger: Logger): Promise<VnfmMessage | null> {
    let vnfr = message.virtualNetworkFunctionRecord;
    const extension = message.extension ?? {};
    const scaling: VnfmMessage = {
      action: 'SCALING',
      virtualNetworkFunctionRecord: vnfr,
      userData: this.userData({ vnfr, extension, vnfPackage: message.vnfPackage }),
    };
    if (message.vimInstance) scaling.vimInstance = message.vimInstance;
    let answer: NfvoCommand | null;
    try {
      answer = await requestNfvo(this.transport, { message: scaling, timeoutMs: this.options.allocateTimeoutMs, what: `SCALING of VNFR ${vnfr.name ?? ''}` });
    } catch (error) {
      if (!(error instanceof NfvoRefusedError)) throw error;
      logger.error({ nfvoMessage: error.nfvoMessage }, 'the NFVO refused SCALING; handing its VNFR to onNfvoError and replying null (as the Java VNFM SDK)');
      await this.onNfvoError({ vnfr: error.vnfr, message: error.nfvoMessage, logger });
      return null;
    }
    if (answer === null) logger.error('the NFVO answered null to SCALING (its task failed, or the NSR is gone); looking for the new VNFC in the VNFR as it was');
    const scaled = answer === null ? vnfr : recordOf(answer);
    if (!scaled) throw new ProtocolError('SCALING answer without a VNFR');
    vnfr = scaled;
    const component = message.component ?? {};
    const vnfcInstance = allVnfcs(vnfr).find((c) => component.id !== undefined && c.vnfComponent?.id === component.id);
    if (!vnfcInstance) throw Object.assign(new Error(`SCALING answer has no VNFC instance for component ${component.id ?? '(no id)'}`), { vnfr });
    if (message.mode?.toLowerCase() === 'standby') vnfcInstance.state = 'STANDBY';
    const result = await this.scaleOut({
      vnfr, vnfcInstance, component, dependency: message.dependency, mode: message.mode, vnfPackage: message.vnfPackage, extension, logger,
    });
    return { action: 'SCALED', virtualNetworkFunctionRecord: result, vnfcInstance: findVnfc(result, vnfcInstance) ?? vnfcInstance };
  }
}

/** Records a step of the command being handled in the operation journal. */
type Tracker = (step: JournalStep, patch?: Partial<Omit<JournalRecord, 'key' | 'at' | 'step'>>) => Promise<void>;


function findVnfc(vnfr: Vnfr, like: VNFCInstance): VNFCInstance | undefined {
  return allVnfcs(vnfr).find((c) => (like.id !== undefined && c.id === like.id) || (like.hostname !== undefined && c.hostname === like.hostname));
}

/** A `null` answer from the NFVO ends the INSTANTIATE with the reply `null` (see `runInstantiate`). */
function answeredNull(logger: Logger, request: string, vnfr: Vnfr): null {
  logger.error({ vnfrName: vnfr.name }, `the NFVO answered null to ${request} (its task failed without a message, or the NSR was deleted); replying null to INSTANTIATE, as the Java VNFM SDK does`);
  return null;
}

/**
 * The VNF package's own `userdata.sh` or `user-data.sh` (exact names; a leading BOM stripped) runs after the
 * VNFM's part of the ALLOCATE_RESOURCES user data, as in the Java SDK (AbstractVnfm.java 6.0.0:543-553, 770-783).
 * Upstream joins the two with nothing between; a newline is added here when the first part lacks one, so the
 * package's first line cannot be glued to the last line of the VNFM's.
 */
export function withPackageUserData(userData: string, vnfPackage: VNFPackage | undefined): string {
  const script = vnfPackage?.scripts?.find((s) => s.name === 'userdata.sh' || s.name === 'user-data.sh');
  if (!script?.payload) return userData;
  const own = Buffer.from(payloadToBytes(script.payload)).toString('utf8').replace(/^\uFEFF/, '');
  if (own === '') return userData;
  return userData === '' || userData.endsWith('\n') ? `${userData}${own}` : `${userData}\n${own}`;
}

function resumedReply(result: ResumeResult): VnfmMessage {
  if (result.action === 'ERROR') return vnfmErrorMessage({ vnfr: result.vnfr, message: 'resume failed' });
  return { action: result.action, virtualNetworkFunctionRecord: result.vnfr } as VnfmMessage;
}

function salvageRecord(body: Buffer): Vnfr | undefined {
  try {
    const raw = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const record = raw['virtualNetworkFunctionRecord'] ?? raw['vnfr'];
    return record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Vnfr) : undefined;
  } catch {
    return undefined;
  }
}

