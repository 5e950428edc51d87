import { EventEmitter } from 'node:events';
import {
  EXCHANGE,
  NFVO_MANAGER_HANDLING,
  VNFM_NFVO_ACTIONS,
  VNFM_NFVO_ACTIONS_REPLY,
  type NetworkServiceDescriptor,
  type Status,
  type VirtualNetworkFunctionRecord,
} from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import type { Consumer, Transport } from '@vnfkit/transport';
import type { BrokerAccounts } from './broker-accounts.js';
import { Commands, type MessageEvent } from './simulator/commands.js';
import { Operations, type PackageInput } from './simulator/operations.js';
import { Records } from './simulator/records.js';
import { Registration } from './simulator/registration.js';
import { Requests, type Faults } from './simulator/requests.js';
import { Tasks } from './simulator/tasks.js';
import type { VimDriver } from './vim-driver.js';

export type { Faults, MessageEvent, PackageInput };

type Vnfr = VirtualNetworkFunctionRecord;

/** Options of {@link NfvoSimulator}. */
export interface NfvoSimulatorOptions {
  /**
   * The simulator's broker link. For tests that drop broker connections give it lasting replies
   * (`createAmqpTransport({ replyMode: 'lasting-queue' })`): with direct reply-to, a command in flight
   * when the simulator's connection drops fails into ERROR although the VNFM carries it out.
   */
  transport: Transport;
  vim: VimDriver;
  /** Broker URL handed to VMs (their agents connect there). */
  brokerUrl: string;
  /** Credentials returned on `register` (unless {@link accounts} is set). @default guest/guest */
  credentials?: { username: string; password: string };
  /**
   * Models the NFVO's broker users: at start the manager user (NFVO `SystemStartup`), on `register` a user per
   * VNFM type with the NFVO's permissions, whose credentials are returned, on `unregister` its removal
   * (`ComponentManager`). E.g. `new RabbitmqctlAccounts({ vhost })`. @default none: {@link credentials} for every VNFM
   */
  accounts?: BrokerAccounts;
  /** Deadline for each VNFM reply, in ms; a silent VNFM puts the VNFR in ERROR. @default 60_000 */
  commandTimeoutMs?: number;
  /**
   * Commands carry a correlation id. Open Baton's 6.0 NFVO sends none (Spring AMQP 1.7 `convertSendAndReceive`:
   * a channel of its own per command consuming a direct reply-to address), and neither does the simulator
   * unless this is set. @default false
   */
  commandCorrelationIds?: boolean;
  /** Send START in dependency order, after every VNFR is INACTIVE (`nfvo.start.ordered`). @default false */
  startOrdered?: boolean;
  logger?: Logger;
}

/**
 * The NFVO side of the Open Baton 6.0 protocol, faithful enough to drive any VNFM the way the real NFVO
 * does: registration, NSD deployment with dependencies, grant/allocate through a {@link VimDriver},
 * MODIFY/START, scale, heal, update, resume, execute, log requests and terminate.
 *
 * A facade over the simulator's parts (`./simulator/`): the record store ({@link Records}), the commands to VNFMs
 * ({@link Commands}), the tasks on their replies ({@link Tasks}), the answers to their requests ({@link Requests}),
 * registration ({@link Registration}) and the test API ({@link Operations}).
 *
 * @example
 * const sim = await NfvoSimulator.create({ transport, vim: new LocalVim(), brokerUrl });
 * const nsrId = await sim.deploy(nsd, { packages: { 'iperf-server': { scripts } } });
 * await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
 */
export class NfvoSimulator {
  /** Registered VNFM types → endpoints. */
  readonly endpoints: Map<string, string>;
  /** Injected failures; change at any time. */
  faults: Faults = {};
  private readonly events = new EventEmitter();
  private readonly consumers: Consumer[] = [];
  private readonly records: Records;
  private readonly commands: Commands;
  private readonly tasks: Tasks;
  private readonly requests: Requests;
  private readonly registration: Registration;
  private readonly operations: Operations;

  private constructor(private readonly options: NfvoSimulatorOptions) {
    const log = (options.logger ?? pino({ enabled: false })).child({ component: 'nfvo-simulator' });
    const { transport, vim, brokerUrl } = options;
    const emit = (event: MessageEvent): void => {
      // Listeners get a copy of the body as it crossed: the simulator keeps (and changes) the records it decoded
      // instead of copying each one. Without listeners (a benchmark), nothing is copied.
      if (this.events.listenerCount('message') > 0) this.events.emit('message', { ...event, body: structuredClone(event.body) });
    };
    const records = new Records({ events: this.events, log });
    const commands = new Commands({
      transport,
      records,
      emit,
      log,
      onReply: (nsr, reply, vnfrName) => this.tasks.onReply(nsr, reply, vnfrName),
      timeoutMs: options.commandTimeoutMs ?? 60_000,
      correlationIds: options.commandCorrelationIds === true,
    });
    this.records = records;
    this.commands = commands;
    this.tasks = new Tasks({ records, commands, vim, startOrdered: options.startOrdered === true, log });
    this.requests = new Requests({ transport, records, commands, vim, brokerUrl, faults: () => this.faults, emit, log });
    this.registration = new Registration({ transport, accounts: options.accounts, credentials: options.credentials, log });
    this.endpoints = this.registration.endpoints;
    this.operations = new Operations({ records, commands, vim, brokerUrl, endpoints: this.endpoints, log });
  }

  /** Declares the NFVO's exchange and queues and starts consuming them. */
  static async create(options: NfvoSimulatorOptions): Promise<NfvoSimulator> {
    const sim = new NfvoSimulator(options);
    await sim.start();
    return sim;
  }

  private async start(): Promise<void> {
    await this.options.accounts?.ensureManagerUser();
    const t = this.options.transport;
    await t.declareExchange(EXCHANGE, 'topic', { durable: true });
    for (const q of [NFVO_MANAGER_HANDLING, VNFM_NFVO_ACTIONS_REPLY, VNFM_NFVO_ACTIONS]) {
      await t.declareQueue(q, { durable: true, autoDelete: true });
      await t.bindQueue(q, EXCHANGE, q);
    }
    this.consumers.push(
      await t.consume(NFVO_MANAGER_HANDLING, (m) => this.registration.onManagerMessage(m), { prefetch: 10, concurrency: 10 }),
    );
    this.consumers.push(await t.consume(VNFM_NFVO_ACTIONS_REPLY, (m) => this.requests.onRequest(m), { prefetch: 50, concurrency: 50 }));
    this.consumers.push(await t.consume(VNFM_NFVO_ACTIONS, (m) => this.tasks.onNotification(m), { prefetch: 10, concurrency: 10 }));
  }

  // ---- events and records ----

  /** `vnfr-status` (vnfrId, name, status), `ns-status` (nsrId, status), `message` ({@link MessageEvent}). */
  on(event: 'vnfr-status', listener: (e: { nsrId: string; vnfrId: string; name: string; status: Status }) => void): this;
  on(event: 'ns-status', listener: (e: { nsrId: string; status: Status }) => void): this;
  on(event: 'message', listener: (e: MessageEvent) => void): this;
  on(event: string, listener: (...args: never[]) => void): this {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** The stored VNFR of `name` in an NSR. */
  vnfr(nsrId: string, name: string): Vnfr {
    return this.records.vnfr(nsrId, name);
  }

  /**
   * VNFRs the real NFVO would have stored a second time for one VNF of the NSR: a GRANT_OPERATION or an ERROR with an
   * id-less VNFR whose name the NSR already has (see {@link Records.duplicateVnfrs}). Empty for a VNFM that never
   * repeats a GRANT.
   */
  duplicateVnfrs(nsrId: string): { vnfr: Vnfr; via: 'GRANT_OPERATION' | 'ERROR' }[] {
    return this.records.duplicateVnfrs(nsrId);
  }

  /** All VNFRs of an NSR. */
  vnfrsOf(nsrId: string): Vnfr[] {
    return this.records.vnfrsOf(nsrId);
  }

  /** NS status: the lowest VNFR status (any TERMINATED → TERMINATED), RESUMING while a resume starts. */
  nsStatus(nsrId: string): Status {
    return this.records.nsStatus(nsrId);
  }

  /** Waits until the NS reaches `status`; fails early when it reaches ERROR instead (unless waiting for ERROR). */
  async waitForNsStatus(nsrId: string, status: Status, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.records.waitForNsStatus(nsrId, status, options);
  }

  // ---- operations (the NFVO's REST API) ----

  /** Deploys an NSD: one INSTANTIATE per VNFD, in parallel. Returns the NSR id at once; follow with {@link waitForNsStatus}. */
  async deploy(
    uploaded: NetworkServiceDescriptor,
    input: { packages?: Record<string, PackageInput>; keys?: { name: string; publicKey: string }[] } = {},
  ): Promise<string> {
    return this.operations.deploy(uploaded, input);
  }

  /** Scales a VNFR out by one VNFC (`mode: 'standby'` for a standby VNFC). */
  async scaleOut(nsrId: string, vnfrName: string, options: { mode?: string } = {}): Promise<void> {
    await this.operations.scaleOut(nsrId, vnfrName, options);
  }

  /** Removes one VNFC: SCALE_IN to every dependency target, then the VM is deleted. */
  async scaleIn(nsrId: string, vnfrName: string, hostname: string): Promise<void> {
    await this.operations.scaleIn(nsrId, vnfrName, hostname);
  }

  /** HEAL of one VNFC; `switchToStandby` marks it FAILED and heals the first STANDBY VNFC instead. */
  async heal(nsrId: string, vnfrName: string, input: { hostname: string; cause: string }): Promise<void> {
    await this.operations.heal(nsrId, vnfrName, input);
  }

  /** START or STOP of one VNFC (or the whole VNFR without `hostname`). */
  async startStop(nsrId: string, vnfrName: string, input: { action: 'START' | 'STOP'; hostname?: string }): Promise<void> {
    await this.operations.startStop(nsrId, vnfrName, input);
  }

  /** A script of the package changed: UPDATE with the script to every VNFR built from it (later scale-outs get it too). */
  async updateScript(nsrId: string, vnfrName: string, script: { name: string; content: string | Uint8Array }): Promise<void> {
    await this.operations.updateScript(nsrId, vnfrName, script);
  }

  /** Resumes an NS in ERROR: RESUMING, then RESUME to every VNFR in ERROR (with its dependency when it is a target). */
  async resume(nsrId: string): Promise<void> {
    await this.operations.resume(nsrId);
  }

  /** EXECUTE of an ad-hoc script on every VNFC of a VNFR. */
  async execute(nsrId: string, vnfrName: string, script: { name: string; content: string }): Promise<void> {
    await this.operations.execute(nsrId, vnfrName, script);
  }

  /** LOG_REQUEST: returns the VNFM's answer. */
  async logs(nsrId: string, vnfrName: string, hostname: string): Promise<{ outputLog: string[]; errorLog: string[] }> {
    return this.operations.logs(nsrId, vnfrName, hostname);
  }

  /**
   * Terminates the NS: RELEASE_RESOURCES to every VNFR; VMs are deleted after each reply. A VNFR whose VNFM is not
   * registered (or that has no endpoint: it failed before its GRANT) gets no command, and its VMs are released on
   * the VIM directly, as the NFVO does (see {@link Operations.terminate}).
   */
  async terminate(nsrId: string): Promise<void> {
    await this.operations.terminate(nsrId);
  }

  /** Stops consuming and waits for the operations in flight. */
  async close(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((c) => c.cancel()));
    await this.commands.drain();
  }

  // ---- registration ----

  /**
   * Waits until a VNFM of `type` registered and its endpoint queue exists: a command published before it does
   * reaches no queue (see {@link Registration.waitForVnfm}).
   */
  async waitForVnfm(type: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.registration.waitForVnfm(type, options);
  }
}
