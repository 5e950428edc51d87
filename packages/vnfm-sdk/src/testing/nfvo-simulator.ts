import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  EXCHANGE, NFVO_MANAGER_HANDLING, allVnfcs, VNFM_NFVO_ACTIONS, VNFM_NFVO_ACTIONS_REPLY, TimeoutError, bytesToPayload, decodeManagerMessage,
  decodeVnfmMessage, encodeMessage, lowestStatus, recordOf, toError,
  type NetworkServiceDescriptor, type Script, type Status, type VNFCInstance, type VNFPackage, type VNFRecordDependency,
  type VimInstance, type VirtualNetworkFunctionDescriptor, type VirtualNetworkFunctionRecord, type VnfmMessage,
} from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import type { Consumer, IncomingMessage, Transport } from '../transport/transport.js';
import { buildDependency, planDependencies, type DependencyPlan } from './dependencies.js';
import { checkScaleIn, checkScaleOut, validateNsd } from './nsd-rules.js';
import type { BrokerAccounts } from './broker-accounts.js';
import type { VimDriver } from './vim-driver.js';

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

/** Scripts of a VNF package: file contents by name, or a git link. */
export interface PackageInput {
  scripts?: Record<string, string | Uint8Array>;
  scriptsLink?: string;
}

/** Injected failures for error-path tests, answered as Open Baton's 6.0 NFVO answers them. */
export interface Faults {
  /**
   * Refuse GRANT_OPERATION as the NFVO's quota check does (GrantoperationTask.java:83-84, 138-148): the VNFR is
   * saved (it gets its id), set to ERROR, and the answer is ERROR with the saved VNFR and this message.
   */
  refuseGrant?: string;
  /**
   * Refuse ALLOCATE_RESOURCES as a VimException does (AbstractTask.handleVimException, AbstractTask.java:191-222):
   * an ERROR history entry, the VNFR saved (status unchanged), the answer ERROR with the saved VNFR.
   */
  refuseAllocate?: string;
  /**
   * Refuse SCALING as ScalingTask does without quota checks (ScalingTask.java:218-238): the VNFR is saved back to
   * ACTIVE, and the answer is ERROR with the VNFR as it was before that save (one hbVersion behind).
   */
  refuseScaling?: string;
  /**
   * Answer a request with the JSON `null`, as the NFVO does when the task fails with an exception it has no
   * answer for (`failure`: AbstractTask.genericExceptionHandling, AbstractTask.java:245-303 — it first sends the
   * VNFM an ERROR command with the VNFR and sets the VNFR to ERROR) or when the NSR was deleted meanwhile
   * (`nsr-deleted`: VnfStateHandler.java:124-128; the simulator deletes the NSR then).
   */
  answerNull?: { action: 'GRANT_OPERATION' | 'ALLOCATE_RESOURCES' | 'SCALING'; cause: 'failure' | 'nsr-deleted' };
  /** Delay before answering VNFM requests, ms; lowering it releases requests already waiting. */
  requestDelayMs?: number;
}

/** A message crossing the simulated NFVO's boundary (for tests and the demo's progress output). */
export interface MessageEvent {
  direction: 'to-vnfm' | 'from-vnfm';
  action: string;
  body: unknown;
}

interface Nsr {
  id: string;
  name: string;
  vnfds: Map<string, VirtualNetworkFunctionDescriptor>;
  packages: Map<string, VNFPackage>;
  plans: DependencyPlan[];
  vnfrs: Map<string, string>; // VNFR name → id
  modified: Set<string>; // targets that got MODIFY
  /** Set by RESUME (NetworkServiceRecordManagement.java:1917) until the next VNFR status change recomputes it. */
  resuming?: boolean;
}

const HISTORY_FORMAT = (): string => new Date().toISOString();

/**
 * The NFVO side of the Open Baton 6.0 protocol, faithful enough to drive any VNFM the way the real NFVO
 * does: registration, NSD deployment with dependencies, grant/allocate through a {@link VimDriver},
 * MODIFY/START, scale, heal, update, resume, execute, log requests and terminate.
 *
 * @example
 * const sim = await NfvoSimulator.create({ transport, vim: new LocalVim(), brokerUrl });
 * const nsrId = await sim.deploy(nsd, { packages: { 'iperf-server': { scripts } } });
 * await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
 */
export class NfvoSimulator {
  /** Registered VNFM types → endpoints. */
  readonly endpoints = new Map<string, string>();
  /** Injected failures; change at any time. */
  faults: Faults = {};
  private readonly events = new EventEmitter();
  private readonly vnfrs = new Map<string, Vnfr>();
  private readonly nsrs = new Map<string, Nsr>();
  private readonly consumers: Consumer[] = [];
  private readonly log: Logger;
  private readonly inflight = new Set<Promise<unknown>>();
  /** VNFRs the real NFVO would have stored twice (see {@link duplicateVnfrs}). */
  private readonly duplicates: { nsrId: string; vnfr: Vnfr; via: 'GRANT_OPERATION' | 'ERROR' }[] = [];
  /** Answers to VNFM requests by correlation id (see {@link onRequest}). */
  private readonly requestAnswers = new Map<string, Promise<Uint8Array | undefined>>();

  private constructor(private readonly options: NfvoSimulatorOptions) {
    this.log = (options.logger ?? pino({ enabled: false })).child({ component: 'nfvo-simulator' });
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
    this.consumers.push(await t.consume(NFVO_MANAGER_HANDLING, (m) => this.onManagerMessage(m), { prefetch: 10, concurrency: 10 }));
    this.consumers.push(await t.consume(VNFM_NFVO_ACTIONS_REPLY, (m) => this.onRequest(m), { prefetch: 50, concurrency: 50 }));
    this.consumers.push(await t.consume(VNFM_NFVO_ACTIONS, (m) => this.onNotification(m), { prefetch: 10, concurrency: 10 }));
  }

  // ---- events ----

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
    const id = this.nsr(nsrId).vnfrs.get(name);
    const vnfr = id ? this.vnfrs.get(id) : undefined;
    if (!vnfr) throw new Error(`NSR ${nsrId} has no VNFR ${name}`);
    return vnfr;
  }

  /**
   * VNFRs the real NFVO would have stored a second time for one VNF of the NSR: a GRANT_OPERATION or an ERROR with an
   * id-less VNFR whose name the NSR already has (each inserts a new record, AbstractTask.java:106-112). Empty for a
   * VNFM that never repeats a GRANT.
   */
  duplicateVnfrs(nsrId: string): { vnfr: Vnfr; via: 'GRANT_OPERATION' | 'ERROR' }[] {
    return this.duplicates.filter((d) => d.nsrId === nsrId).map(({ vnfr, via }) => ({ vnfr, via }));
  }

  /** All VNFRs of an NSR. */
  vnfrsOf(nsrId: string): Vnfr[] {
    return [...this.nsr(nsrId).vnfrs.values()].map((id) => this.vnfrs.get(id)).filter((v): v is Vnfr => v !== undefined);
  }

  /** NS status: the lowest VNFR status (any TERMINATED → TERMINATED), RESUMING while a resume starts. */
  nsStatus(nsrId: string): Status {
    const nsr = this.nsr(nsrId);
    if (nsr.resuming) return 'RESUMING';
    const statuses = this.vnfrsOf(nsrId).map((v) => v.status ?? 'NULL');
    return statuses.length < nsr.vnfds.size ? (statuses.includes('ERROR') ? 'ERROR' : 'NULL') : lowestStatus(statuses);
  }

  /** Waits until the NS reaches `status`; fails early when it reaches ERROR instead (unless waiting for ERROR). */
  async waitForNsStatus(nsrId: string, status: Status, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    await new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        const now = this.nsStatus(nsrId);
        if (now === status) return true;
        if (now === 'ERROR' && status !== 'ERROR') {
          const history = this.vnfrsOf(nsrId).flatMap((v) => (v.lifecycle_event_history ?? []).filter((h) => h.event === 'ERROR').map((h) => `${v.name ?? ''}: ${h.description ?? ''}`));
          cleanup();
          reject(new Error(`NS ${nsrId} went to ERROR while waiting for ${status}: ${history.join('; ')}`));
        }
        return false;
      };
      const listener = (): void => {
        if (check()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`NS ${nsrId} to become ${status} (it is ${this.nsStatus(nsrId)})`, timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('vnfr-status', listener);
      };
      this.events.on('vnfr-status', listener);
      listener();
    });
  }

  // ---- operations (the NFVO's REST API) ----

  /** Deploys an NSD: one INSTANTIATE per VNFD, in parallel. Returns the NSR id at once; follow with {@link waitForNsStatus}. */
  async deploy(uploaded: NetworkServiceDescriptor, input: { packages?: Record<string, PackageInput>; keys?: { name: string; publicKey: string }[] } = {}): Promise<string> {
    // The NFVO's upload checks (lifecycle events, schema, dependencies): a refused NSD sends nothing.
    const nsd = validateNsd(uploaded);
    const nsr: Nsr = {
      id: randomUUID(), name: nsd.name ?? 'ns', vnfds: new Map(), packages: new Map(), plans: planDependencies(nsd), vnfrs: new Map(), modified: new Set(),
    };
    for (const vnfd of nsd.vnfd) {
      const name = vnfd.name ?? '';
      const endpoint = vnfd.endpoint ?? vnfd.type ?? '';
      if (!this.endpoints.has(endpoint)) throw new Error(`no VNFM of type ${endpoint} is registered (VNFD ${name})`);
      const withIds = assignIds(structuredClone(vnfd));
      nsr.vnfds.set(name, withIds);
      nsr.packages.set(name, toPackage(name, input.packages?.[name]));
    }
    this.nsrs.set(nsr.id, nsr);
    for (const vnfd of nsr.vnfds.values()) this.track(this.instantiate(nsr, vnfd, input.keys ?? []));
    return nsr.id;
  }

  private async instantiate(nsr: Nsr, vnfd: VirtualNetworkFunctionDescriptor, keys: { name: string; publicKey: string }[]): Promise<void> {
    const vim: VimInstance = { id: randomUUID(), name: this.options.vim.name, type: 'test', active: true };
    const message = {
      action: 'INSTANTIATE',
      vnfd,
      vnfdf: vnfd.deployment_flavour?.[0] ?? { flavour_key: 'm1.small' },
      vnfInstanceName: vnfd.name,
      vlrs: [...new Set((vnfd.vdu ?? []).flatMap((v) => (v.vnfc ?? []).flatMap((c) => (c.connection_point ?? []).map((cp) => cp.virtual_link_reference ?? 'private'))))].map((name) => ({ id: randomUUID(), name, extId: `net-${name}` })),
      extension: this.extension(nsr),
      vimInstances: Object.fromEntries((vnfd.vdu ?? []).map((v) => [v.id ?? '', [vim]])),
      vnfPackage: nsr.packages.get(vnfd.name ?? ''),
      keys,
    };
    await this.command(nsr, { message, endpoint: vnfd.endpoint ?? vnfd.type ?? '', vnfrName: vnfd.name ?? '' });
  }

  private extension(nsr: Nsr): Record<string, string> {
    const url = new URL(this.options.brokerUrl);
    return { 'nsr-id': nsr.id, brokerIp: url.hostname, brokerPort: url.port || '5672', monitoringIp: '', timezone: 'UTC' };
  }

  /** Scales a VNFR out by one VNFC (`mode: 'standby'` for a standby VNFC). */
  async scaleOut(nsrId: string, vnfrName: string, options: { mode?: string } = {}): Promise<void> {
    const nsr = this.nsr(nsrId);
    const vnfr = structuredClone(this.vnfr(nsrId, vnfrName));
    const vdu = vnfr.vdu?.[0];
    if (!vdu) throw new Error(`VNFR ${vnfrName} has no VDU`);
    checkScaleOut(vdu);
    const template = vdu.vnfc?.[0] ?? {};
    const component = { ...assignIds(stripIds(template)) };
    vdu.vnfc = [...(vdu.vnfc ?? []), component];
    this.save(vnfr, { bump: true });
    const dependency = this.dependencyForTarget(nsr, vnfrName);
    const message: Record<string, unknown> = {
      action: 'SCALE_OUT', virtualNetworkFunctionRecord: this.vnfrs.get(vnfr.id ?? ''), component, vnfPackage: nsr.packages.get(vnfrName),
      extension: { ...this.extension(nsr), 'nsr-id': undefined },
    };
    if (dependency) message['dependency'] = dependency;
    if (options.mode) message['mode'] = options.mode;
    await this.command(nsr, { message, endpoint: vnfr.endpoint ?? '', vnfrName, context: { component: component.id } });
  }

  /** Removes one VNFC: SCALE_IN to every dependency target, then the VM is deleted. */
  async scaleIn(nsrId: string, vnfrName: string, hostname: string): Promise<void> {
    const nsr = this.nsr(nsrId);
    const source = this.vnfr(nsrId, vnfrName);
    const removed = allVnfcs(source).find((c) => c.hostname === hostname);
    if (!removed) throw new Error(`VNFR ${vnfrName} has no VNFC ${hostname}`);
    const vdu = (source.vdu ?? []).find((v) => (v.vnfc_instance ?? []).some((c) => c.hostname === hostname));
    if (vdu) checkScaleIn(vdu);
    for (const plan of nsr.plans.filter((p) => p.sources.has(vnfrName))) {
      const target = this.vnfr(nsrId, plan.target);
      await this.command(nsr, { message: { action: 'SCALE_IN', virtualNetworkFunctionRecord: target, vnfcInstance: removed }, endpoint: target.endpoint ?? '', vnfrName: plan.target });
    }
    await this.options.vim.release(hostname);
    const updated = structuredClone(this.vnfr(nsrId, vnfrName));
    for (const vdu of updated.vdu ?? []) {
      vdu.vnfc_instance = (vdu.vnfc_instance ?? []).filter((c) => c.hostname !== hostname);
      vdu.vnfc = (vdu.vnfc ?? []).filter((c) => c.id !== removed.vnfComponent?.id);
    }
    this.save(updated, { bump: true });
  }

  /** HEAL of one VNFC; `switchToStandby` marks it FAILED and heals the first STANDBY VNFC instead. */
  async heal(nsrId: string, vnfrName: string, input: { hostname: string; cause: string }): Promise<void> {
    const nsr = this.nsr(nsrId);
    const vnfr = structuredClone(this.vnfr(nsrId, vnfrName));
    let vnfc = allVnfcs(vnfr).find((c) => c.hostname === input.hostname);
    if (!vnfc) throw new Error(`VNFR ${vnfrName} has no VNFC ${input.hostname}`);
    if (input.cause === 'switchToStandby') {
      vnfc.state = 'FAILED';
      const standby = allVnfcs(vnfr).find((c) => c.state?.toLowerCase() === 'standby');
      if (!standby) throw new Error(`VNFR ${vnfrName} has no STANDBY VNFC to switch to`);
      vnfc = standby;
      this.save(vnfr, { bump: true });
    }
    await this.command(nsr, {
      message: { action: 'HEAL', virtualNetworkFunctionRecord: this.vnfr(nsrId, vnfrName), vnfcInstance: vnfc, cause: input.cause },
      endpoint: vnfr.endpoint ?? '', vnfrName,
    });
  }

  /** START or STOP of one VNFC (or the whole VNFR without `hostname`). */
  async startStop(nsrId: string, vnfrName: string, input: { action: 'START' | 'STOP'; hostname?: string }): Promise<void> {
    const vnfr = this.vnfr(nsrId, vnfrName);
    const message: Record<string, unknown> = { action: input.action, virtualNetworkFunctionRecord: vnfr };
    if (input.hostname) message['vnfcInstance'] = allVnfcs(vnfr).find((c) => c.hostname === input.hostname);
    await this.command(this.nsr(nsrId), { message, endpoint: vnfr.endpoint ?? '', vnfrName });
  }

  /** A script of the package changed: UPDATE with the script to every VNFR built from it (later scale-outs get it too). */
  async updateScript(nsrId: string, vnfrName: string, script: { name: string; content: string | Uint8Array }): Promise<void> {
    const nsr = this.nsr(nsrId);
    const pkg = nsr.packages.get(vnfrName);
    const wire: Script = { name: script.name, payload: bytesToPayload(toBytes(script.content)) };
    if (pkg) pkg.scripts = [...(pkg.scripts ?? []).filter((s) => s.name !== script.name), wire];
    const vnfr = this.vnfr(nsrId, vnfrName);
    await this.command(nsr, { message: { action: 'UPDATE', vnfr, script: wire }, endpoint: vnfr.endpoint ?? '', vnfrName });
  }

  /** Resumes an NS in ERROR: RESUMING, then RESUME to every VNFR in ERROR (with its dependency when it is a target). */
  async resume(nsrId: string): Promise<void> {
    const nsr = this.nsr(nsrId);
    const failed = this.vnfrsOf(nsrId).filter((v) => v.status === 'ERROR');
    if (failed.length === 0) throw new Error(`NS ${nsrId} is not in ERROR`);
    for (const v of failed) this.setStatus(nsr, structuredClone(v), 'RESUMING');
    nsr.resuming = true;
    await Promise.all(failed.map(async (v) => {
      const vnfr = this.vnfrs.get(v.id ?? '') ?? v;
      const message: Record<string, unknown> = { action: 'RESUME', vnfr };
      const dep = this.dependencyForTarget(nsr, v.name ?? '');
      if (dep) message['vnfrd'] = dep;
      await this.command(nsr, { message, endpoint: v.endpoint ?? '', vnfrName: v.name ?? '' });
    }));
  }

  /** EXECUTE of an ad-hoc script on every VNFC of a VNFR. */
  async execute(nsrId: string, vnfrName: string, script: { name: string; content: string }): Promise<void> {
    const vnfr = this.vnfr(nsrId, vnfrName);
    await this.command(this.nsr(nsrId), {
      message: { action: 'EXECUTE', vnfr, script: { name: script.name, payload: bytesToPayload(toBytes(script.content)) } }, endpoint: vnfr.endpoint ?? '', vnfrName,
    });
  }

  /** LOG_REQUEST: returns the VNFM's answer. */
  async logs(nsrId: string, vnfrName: string, hostname: string): Promise<{ outputLog: string[]; errorLog: string[] }> {
    const vnfr = this.vnfr(nsrId, vnfrName);
    const reply = await this.request(vnfr.endpoint ?? '', { action: 'LOG_REQUEST', vnfrName, hostname });
    if (reply?.action !== 'LOG_REQUEST') throw new Error(`LOG_REQUEST answered with ${reply?.action ?? 'null'}`);
    return { outputLog: reply.outputLog, errorLog: reply.errorLog };
  }

  /**
   * Terminates the NS: RELEASE_RESOURCES to every VNFR; VMs are deleted after each reply. A VNFR whose VNFM is not
   * registered (or that has no endpoint: it failed before its GRANT) gets no command — the NFVO's `release` fails
   * to find the VNFM (VnfmRegister.java:79-88) — and its VMs are released on the VIM directly, as the NFVO's
   * VNFRTerminator does (after `nfvo.delete.vnfr.wait.timeout`, 60 s; at once here: NetworkServiceRecordManagement.java:2014-2078).
   */
  async terminate(nsrId: string): Promise<void> {
    const nsr = this.nsr(nsrId);
    const registered = new Set(this.endpoints.values());
    await Promise.all(this.vnfrsOf(nsrId).map(async (v) => {
      if (v.endpoint !== undefined && v.endpoint !== '' && registered.has(v.endpoint)) {
        await this.command(nsr, { message: { action: 'RELEASE_RESOURCES', vnfr: v }, endpoint: v.endpoint, vnfrName: v.name ?? '' });
        return;
      }
      this.log.warn({ vnfr: v.name, endpoint: v.endpoint }, 'no registered VNFM for this VNFR: releasing its VMs on the VIM directly');
      for (const c of allVnfcs(v)) if (c.hostname) await this.options.vim.release(c.hostname);
      this.save(v, { nsr, status: 'TERMINATED', history: 'RELEASE', force: true });
    }));
  }

  /** Stops consuming and waits for the operations in flight. */
  async close(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((c) => c.cancel()));
    await Promise.allSettled([...this.inflight]);
  }

  // ---- NFVO → VNFM commands and the state machine on their replies ----

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((error: unknown) => this.log.error({ err: toError(error).message }, 'simulator operation failed'));
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }

  private async request(endpoint: string, message: Record<string, unknown>): Promise<VnfmMessage | null> {
    this.emit({ direction: 'to-vnfm', action: String(message['action']), body: message });
    const reply = await this.options.transport.request(EXCHANGE, endpoint, encodeMessage(message).body, {
      timeoutMs: this.options.commandTimeoutMs ?? 60_000,
      waitedFor: `VNFM ${endpoint} to answer ${String(message['action'])}`,
      // As Open Baton's NFVO (Spring's RabbitTemplate) sends them: a command waiting in the VNFM's durable
      // endpoint queue survives a broker restart.
      persistent: true,
      withoutCorrelationId: this.options.commandCorrelationIds !== true,
      // Unlike the NFVO (not mandatory: an unroutable command is dropped and waited for until the timeout),
      // a command no queue takes is reported: the TimeoutError then says that the broker returned it.
      retryUnroutable: true,
    });
    const text = reply.body.toString('utf8');
    if (text.trim() === 'null') {
      this.emit({ direction: 'from-vnfm', action: 'null', body: null });
      return null;
    }
    const decoded = decodeVnfmMessage(reply.body);
    this.emit({ direction: 'from-vnfm', action: decoded.action, body: decoded });
    return decoded;
  }

  private async command(nsr: Nsr, input: { message: Record<string, unknown>; endpoint: string; vnfrName: string; context?: { component?: string | undefined } }): Promise<void> {
    let reply: VnfmMessage | null;
    try {
      reply = await this.request(input.endpoint, input.message);
      if (!this.nsrs.has(nsr.id)) {
        // Deleted meanwhile (faults.answerNull 'nsr-deleted'): the NFVO runs no task for it (VnfStateHandler.java:124-128).
        this.log.info({ nsrId: nsr.id, action: reply?.action ?? 'null' }, 'reply for a deleted NSR dropped');
        return;
      }
    } catch (error) {
      if (!this.nsrs.has(nsr.id)) return;
      // A VNFM that never answers (or answers garbage) fails the VNFR instead of hanging the NFVO — also one
      // that never got as far as GRANT_OPERATION (the command lost), so the NS shows ERROR, not NULL forever.
      const vnfr = recordOf(input.message) ?? this.findByName(nsr, input.vnfrName) ?? { name: input.vnfrName };
      this.fail(nsr, vnfr, toError(error).message);
      return;
    }
    if (reply) await this.onReply(nsr, reply, input.vnfrName);
  }

  private async onReply(nsr: Nsr, reply: VnfmMessage, vnfrName?: string): Promise<void> {
    const vnfr = recordOf(reply);
    switch (reply.action) {
      case 'ERROR': {
        const detail = reply.exception?.detailMessage ?? 'VNFM reported ERROR';
        if (vnfr) {
          this.errorTask(nsr, vnfr, detail);
        } else {
          // The real 6.0 NFVO fails on this one (ErrorTask dereferences the VNFR: AbstractTask.java:323,
          // ErrorTask.java:77) and the NS stays as it was; the simulator takes ErrorTask's intended branch
          // (ErrorTask.java:106-115) and puts the VNFR the command was for in ERROR, so the test sees it.
          this.log.error({ vnfrName }, 'VNFM replied ERROR without a VNFR (the real NFVO 6.0 fails on that); marking the VNFR ERROR');
          this.fail(nsr, (vnfrName !== undefined ? this.findByName(nsr, vnfrName) : undefined) ?? { name: vnfrName ?? '' }, detail);
        }
        return;
      }
      case 'INSTANTIATE':
        if (!vnfr || !this.save(vnfr, { nsr, status: 'INITIALIZED', history: 'INSTANTIATE' })) return;
        await this.afterInstantiate(nsr, vnfr.name ?? '');
        return;
      case 'MODIFY': {
        if (!vnfr) return;
        // A re-MODIFY of a running target (after a source scaled out or healed) leaves it ACTIVE; only the
        // deployment chain goes INACTIVE → START.
        const running = this.vnfrs.get(vnfr.id ?? '')?.status === 'ACTIVE';
        if (!this.save(vnfr, { nsr, status: running ? 'ACTIVE' : 'INACTIVE', history: 'CONFIGURE' })) return;
        if (!running) await this.sendStart(nsr, vnfr.name ?? '');
        return;
      }
      case 'START':
      case 'STOP': {
        if (!vnfr) return;
        const copy = structuredClone(vnfr);
        const vnfcs = allVnfcs(copy);
        const one = reply.vnfcInstance;
        const state = reply.action === 'START' ? 'ACTIVE' : 'INACTIVE';
        for (const c of vnfcs) if (!one || c.id === one.id) c.state = state;
        const status: Status = reply.action === 'START' ? 'ACTIVE' : vnfcs.some((c) => c.state === 'ACTIVE') ? 'ACTIVE' : 'INACTIVE';
        this.save(copy, { nsr, status, history: reply.action });
        return;
      }
      case 'RELEASE_RESOURCES':
        if (!vnfr) return;
        for (const c of allVnfcs(vnfr)) if (c.hostname) await this.options.vim.release(c.hostname);
        this.save(vnfr, { nsr, status: 'TERMINATED', history: 'RELEASE', force: true });
        return;
      case 'SCALED': {
        if (!vnfr) return;
        const copy = structuredClone(vnfr);
        const added = allVnfcs(copy).find((c) => c.id === reply.vnfcInstance.id);
        if (added && added.state?.toLowerCase() !== 'standby') added.state = 'ACTIVE';
        if (!this.save(copy, { nsr, status: 'ACTIVE', history: 'SCALE_OUT' })) return;
        if (added) await this.modifyTargetsWith(nsr, copy.name ?? '', [added]);
        return;
      }
      case 'HEAL': {
        if (!vnfr || !this.save(vnfr, { nsr, status: 'ACTIVE', history: 'HEAL' })) return;
        // HealTask.java:74-88: a reply with a cause other than switchToStandby ends the heal; without a cause (as
        // Open Baton's VNFMs reply) or with switchToStandby, an ACTIVE VNFC is passed to the dependent VNFRs.
        const cause = reply.cause;
        if ((cause === undefined || cause === 'switchToStandby') && reply.vnfcInstance?.state === 'ACTIVE') {
          await this.modifyTargetsWith(nsr, vnfr.name ?? '', [reply.vnfcInstance]);
        }
        return;
      }
      case 'UPDATE':
        if (vnfr) this.save(vnfr, { nsr, status: vnfr.status ?? 'ACTIVE', history: 'UPDATE' });
        return;
      default:
        this.log.warn({ action: reply.action }, 'no NFVO task for this reply (as in Open Baton 6.0)');
    }
  }

  private async afterInstantiate(nsr: Nsr, name: string): Promise<void> {
    const isTarget = nsr.plans.some((p) => p.target === name);
    if (!isTarget) await this.sendStart(nsr, name);
    // Targets whose sources are all instantiated now get MODIFY.
    for (const plan of nsr.plans) {
      if (nsr.modified.has(plan.target)) continue;
      const target = this.findByName(nsr, plan.target);
      if (!target || target.status !== 'INITIALIZED') continue;
      const sources = [...plan.sources.keys()].map((s) => this.findByName(nsr, s));
      if (sources.some((s) => !s || !['INITIALIZED', 'INACTIVE', 'ACTIVE'].includes(s.status ?? ''))) continue;
      nsr.modified.add(plan.target);
      const dependency = buildDependency({ plan, sources: sources as Vnfr[] });
      await this.command(nsr, { message: { action: 'MODIFY', vnfr: target, vnfrd: dependency }, endpoint: target.endpoint ?? '', vnfrName: plan.target });
    }
  }

  private async sendStart(nsr: Nsr, name: string): Promise<void> {
    if (this.options.startOrdered) {
      // nfvo.start.ordered: wait until every VNFR is INACTIVE, then START them in dependency order.
      const all = [...nsr.vnfds.keys()].map((n) => this.findByName(nsr, n));
      if (all.some((v) => v?.status !== 'INACTIVE' && !(v && !nsr.plans.some((p) => p.target === v.name) && v.status === 'INITIALIZED'))) return;
      for (const vnfdName of dependencyOrder(nsr)) {
        const v = this.findByName(nsr, vnfdName);
        if (v) await this.command(nsr, { message: { action: 'START', virtualNetworkFunctionRecord: v }, endpoint: v.endpoint ?? '', vnfrName: vnfdName });
      }
      return;
    }
    const vnfr = this.findByName(nsr, name);
    if (vnfr) await this.command(nsr, { message: { action: 'START', virtualNetworkFunctionRecord: vnfr }, endpoint: vnfr.endpoint ?? '', vnfrName: name });
  }

  private async modifyTargetsWith(nsr: Nsr, sourceName: string, vnfcs: VNFCInstance[]): Promise<void> {
    const source = this.findByName(nsr, sourceName);
    if (!source) return;
    for (const plan of nsr.plans.filter((p) => p.sources.has(sourceName))) {
      const target = this.findByName(nsr, plan.target);
      if (!target) continue;
      const only: DependencyPlan = { target: plan.target, sources: new Map([[sourceName, plan.sources.get(sourceName) ?? []]]) };
      const dependency = buildDependency({ plan: only, sources: [source], onlyVnfcs: vnfcs });
      delete dependency.id;
      await this.command(nsr, { message: { action: 'MODIFY', vnfr: target, vnfrd: dependency }, endpoint: target.endpoint ?? '', vnfrName: plan.target });
    }
  }

  private dependencyForTarget(nsr: Nsr, name: string): VNFRecordDependency | undefined {
    const plan = nsr.plans.find((p) => p.target === name);
    if (!plan) return undefined;
    const sources = [...plan.sources.keys()].map((s) => this.findByName(nsr, s)).filter((v): v is Vnfr => v !== undefined);
    return buildDependency({ plan, sources });
  }

  // ---- registration ----

  private async onManagerMessage(message: IncomingMessage): Promise<void> {
    try {
      const msg = decodeManagerMessage(message.body);
      if (msg.action === 'register') {
        this.endpoints.set(msg.vnfmManagerEndpoint.type, msg.vnfmManagerEndpoint.endpoint);
        this.log.info({ type: msg.type }, 'VNFM registered');
        // Re-registration returns the same credentials again, as the NFVO does.
        const credentials = this.options.accounts
          ? await this.options.accounts.registerVnfm({ type: msg.type, endpoint: msg.vnfmManagerEndpoint.endpoint })
          : this.options.credentials ?? { username: 'guest', password: 'guest' };
        if (message.properties.replyTo) {
          await this.options.transport.reply(message, encodeMessage({ rabbitUsername: credentials.username, rabbitPassword: credentials.password }).body, encodeMessage(null).properties);
        }
      } else {
        this.endpoints.delete(msg.type);
        await this.options.accounts?.unregisterVnfm(msg.type);
        this.log.info({ type: msg.type }, 'VNFM unregistered');
      }
    } catch (error) {
      // The NFVO answers nothing on a bad registration; the VNFM retries.
      this.log.error({ err: toError(error).message }, 'invalid manager message dropped');
    }
  }

  /**
   * Waits until a VNFM of `type` registered and its endpoint queue exists. Open Baton's SDKs register before they
   * declare that queue (AbstractVnfmSpringAmqp.java 6.0.0:286-295), and a command published in between reaches
   * no queue: the NFVO's would be dropped without a word (not mandatory, RabbitTemplate.java 1.7.7:191).
   */
  async waitForVnfm(type: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const endpoint = this.endpoints.get(type);
      if (endpoint !== undefined && (await this.options.transport.inspectQueue(endpoint)) !== undefined) return;
      if (Date.now() > deadline) {
        throw new TimeoutError(endpoint === undefined ? `VNFM ${type} to register` : `VNFM ${type} to declare its endpoint queue ${endpoint}`, timeoutMs);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- VNFM → NFVO requests ----

  /**
   * VNFM → NFVO requests are answered once per correlation id: a redelivery (the simulator's connection
   * dropped before it acked) gets the first answer again instead of a second grant or allocation, and
   * waits for it while the first delivery is still being answered.
   */
  private async onRequest(message: IncomingMessage): Promise<void> {
    const id = message.properties.correlationId;
    let answering = id === undefined ? undefined : this.requestAnswers.get(id);
    if (answering) {
      this.log.info({ correlationId: id, redelivered: message.redelivered }, 'request seen before: answered with the first answer');
    } else {
      answering = this.answerOf(message);
      if (id !== undefined) {
        this.requestAnswers.set(id, answering);
        // Bounded memory: the oldest ids are forgotten (a redelivery comes within seconds).
        for (const key of this.requestAnswers.keys()) {
          if (this.requestAnswers.size <= 1_000) break;
          this.requestAnswers.delete(key);
        }
      }
    }
    const body = await answering;
    if (body !== undefined) await this.options.transport.reply(message, body, encodeMessage(null).properties);
  }

  /** Holds a request while `faults.requestDelayMs` says so; lowering it (e.g. to 0) releases the waiting ones. */
  private async requestDelay(): Promise<void> {
    const since = Date.now();
    while (Date.now() - since < (this.faults.requestDelayMs ?? 0)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, (this.faults.requestDelayMs ?? 0) - (Date.now() - since))));
    }
  }

  /** The encoded answer to one request (undefined: none is due, as Open Baton answers nothing). */
  private async answerOf(message: IncomingMessage): Promise<Uint8Array | undefined> {
    let answer: unknown;
    try {
      const request = decodeVnfmMessage(message.body);
      this.emit({ direction: 'from-vnfm', action: request.action, body: request });
      await this.requestDelay();
      answer = await this.answer(request);
    } catch (error) {
      // Open Baton rejects the message without answering; the VNFM's own timeout fires.
      this.log.error({ err: toError(error).message }, 'invalid VNFM request: not answered (as Open Baton)');
      return undefined;
    }
    if (answer === undefined) return undefined;
    this.emit({ direction: 'to-vnfm', action: answer === null ? 'null' : String((answer as { action: string }).action), body: answer });
    return encodeMessage(answer).body;
  }

  private async onNotification(message: IncomingMessage): Promise<void> {
    try {
      const msg = decodeVnfmMessage(message.body);
      const vnfr = recordOf(msg);
      const nsr = vnfr?.parent_ns_id ? this.nsrs.get(vnfr.parent_ns_id) : undefined;
      if (nsr) await this.onReply(nsr, msg);
    } catch (error) {
      this.log.error({ err: toError(error).message }, 'invalid VNFM notification dropped');
    }
  }

  private async answer(request: VnfmMessage): Promise<unknown> {
    switch (request.action) {
      case 'GRANT_OPERATION': {
        const vnfr = request.virtualNetworkFunctionRecord;
        // No task runs for a VNFR whose NSR is gone: the answer is null (VnfStateHandler.java:124-128).
        const nsr = this.nsrs.get(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        // GrantoperationTask saves first (GrantoperationTask.java:83-84): an id-less VNFR is inserted as a new
        // record (AbstractTask.java:106-112), so a second GRANT for one VNF would add a second VNFR.
        if (vnfr.id === undefined && this.findByName(nsr, vnfr.name ?? '') !== undefined) {
          this.log.error({ vnfr: vnfr.name }, 'a second GRANT_OPERATION for a VNF of this NSR: the NFVO inserts a duplicate VNFR');
          this.duplicates.push({ nsrId: nsr.id, vnfr: structuredClone(vnfr), via: 'GRANT_OPERATION' });
        }
        const granted = assignIds(structuredClone(vnfr));
        granted.projectId = 'vnfkit-simulator';
        granted.task = 'grantoperation';
        nsr.vnfrs.set(granted.name ?? '', granted.id ?? '');
        this.vnfrs.set(granted.id ?? '', granted);
        this.setStatus(nsr, granted, 'NULL');
        const injected = this.injectedAnswer('GRANT_OPERATION', nsr, granted);
        if (injected) return injected.answer;
        granted.lifecycle_event_history = [...(granted.lifecycle_event_history ?? []), history('GRANTED', 'All the resources that are contained in this VNFR were granted to be deployed in the chosen VIM(s)')];
        const vim = { id: randomUUID(), name: this.options.vim.name, type: 'test', active: true };
        return { action: 'GRANT_OPERATION', grantAllowed: true, vduVim: Object.fromEntries((granted.vdu ?? []).map((v) => [v.id ?? '', vim])), virtualNetworkFunctionRecord: granted };
      }
      case 'ALLOCATE_RESOURCES': {
        const vnfr = structuredClone(request.virtualNetworkFunctionRecord);
        const nsr = this.nsrs.get(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        const stale = this.staleness(vnfr);
        if (stale) return { action: 'ERROR', vnfr, message: stale };
        const injected = this.injectedAnswer('ALLOCATE_RESOURCES', nsr, vnfr);
        if (injected) return injected.answer;
        for (const vdu of vnfr.vdu ?? []) {
          for (const c of vdu.vnfc ?? []) if (!(vdu.vnfc_instance ?? []).some((i) => i.vnfComponent?.id === c.id)) vdu.vnfc_instance = [...(vdu.vnfc_instance ?? []), await this.createVm(vnfr, c, request.userdata)];
        }
        vnfr.lifecycle_event_history = [...(vnfr.lifecycle_event_history ?? []), history('ALLOCATE', 'All the resources are allocated')];
        this.save(vnfr, { bump: true });
        return { action: 'ALLOCATE_RESOURCES', vnfr: this.vnfrs.get(vnfr.id ?? '') };
      }
      case 'SCALING': {
        const vnfr = structuredClone(request.virtualNetworkFunctionRecord);
        const nsr = this.nsrs.get(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        const stale = this.staleness(vnfr);
        if (stale) return { action: 'ERROR', vnfr, message: stale };
        const injected = this.injectedAnswer('SCALING', nsr, vnfr);
        if (injected) return injected.answer;
        vnfr.status = 'SCALING';
        for (const vdu of vnfr.vdu ?? []) {
          for (const c of vdu.vnfc ?? []) if (!(vdu.vnfc_instance ?? []).some((i) => i.vnfComponent?.id === c.id)) vdu.vnfc_instance = [...(vdu.vnfc_instance ?? []), await this.createVm(vnfr, c, request.userData)];
        }
        this.save(vnfr, { bump: true });
        return { action: 'SCALED', vnfr: this.vnfrs.get(vnfr.id ?? '') };
      }
      case 'UPDATEVNFR':
        this.save(request.virtualNetworkFunctionRecord, { bump: true });
        return { action: 'UPDATEVNFR', vnfr: this.vnfrs.get(request.virtualNetworkFunctionRecord.id ?? '') };
      default:
        this.log.warn({ action: request.action }, 'request with no NFVO task');
        return undefined;
    }
  }

  /**
   * The answer an injected fault gives to `action` ({@link Faults}), or undefined when none applies. `vnfr` is the
   * record as the NFVO holds it when the task fails (saved, for GRANT_OPERATION).
   */
  private injectedAnswer(action: 'GRANT_OPERATION' | 'ALLOCATE_RESOURCES' | 'SCALING', nsr: Nsr, vnfr: Vnfr): { answer: unknown } | undefined {
    const refusal = { GRANT_OPERATION: this.faults.refuseGrant, ALLOCATE_RESOURCES: this.faults.refuseAllocate, SCALING: this.faults.refuseScaling }[action];
    const nullAnswer = this.faults.answerNull?.action === action ? this.faults.answerNull.cause : undefined;
    if (nullAnswer === 'nsr-deleted') {
      this.log.warn({ nsrId: nsr.id, action }, 'fault: the NSR is deleted while the VNFM waits; answering null');
      for (const id of nsr.vnfrs.values()) this.vnfrs.delete(id);
      this.nsrs.delete(nsr.id);
      return { answer: null };
    }
    if (nullAnswer === 'failure') {
      const message = `${action} failed in the NFVO (injected fault)`;
      // genericExceptionHandling: an ERROR command to the VNFM first (not awaited: sendCommand is @Async), then the
      // VNFR goes to ERROR, and the request is answered null.
      this.track(this.command(nsr, { message: { action: 'ERROR', vnfr: structuredClone(vnfr), message }, endpoint: vnfr.endpoint ?? '', vnfrName: vnfr.name ?? '' }));
      this.fail(nsr, vnfr, message);
      return { answer: null };
    }
    if (refusal === undefined) return undefined;
    switch (action) {
      case 'GRANT_OPERATION':
        this.fail(nsr, vnfr, refusal);
        return { answer: { action: 'ERROR', vnfr: this.vnfrs.get(vnfr.id ?? ''), message: refusal } };
      case 'ALLOCATE_RESOURCES': {
        const failed = structuredClone(vnfr);
        failed.lifecycle_event_history = [...(failed.lifecycle_event_history ?? []), history('ERROR', refusal)];
        this.save(failed, {});
        return { answer: { action: 'ERROR', vnfr: this.vnfrs.get(vnfr.id ?? ''), message: refusal } };
      }
      case 'SCALING': {
        const message = `Error creating VM for VNFR (${vnfr.id ?? ''}) while scaling out. ${refusal}`;
        this.save(structuredClone(vnfr), { nsr, status: 'ACTIVE' });
        return { answer: { action: 'ERROR', vnfr, message } };
      }
    }
  }

  private async createVm(vnfr: Vnfr, component: { id?: string; connection_point?: { virtual_link_reference?: string }[] }, userData: string | undefined): Promise<VNFCInstance> {
    const networks = (component.connection_point ?? []).map((cp) => cp.virtual_link_reference ?? 'private');
    const vm = await this.options.vim.allocate({
      vnfrName: vnfr.name ?? 'vnf', networks, brokerUrl: this.options.brokerUrl, emsType: vnfr.endpoint ?? vnfr.type ?? 'generic', ...(userData ? { userData } : {}),
    });
    return {
      id: randomUUID(), hbVersion: 0, hostname: vm.hostname, vim_id: vm.vimId, vc_id: vm.vcId, state: 'INACTIVE', vnfComponent: component,
      ips: vm.ips, floatingIps: vm.floatingIps, connection_point: structuredClone(component.connection_point ?? []),
    };
  }

  private emit(event: MessageEvent): void {
    this.events.emit('message', event);
  }

  // ---- records ----

  private nsr(nsrId: string): Nsr {
    const nsr = this.nsrs.get(nsrId);
    if (!nsr) throw new Error(`no NSR ${nsrId}`);
    return nsr;
  }

  private findByName(nsr: Nsr, name: string): Vnfr | undefined {
    const id = nsr.vnfrs.get(name);
    return id ? this.vnfrs.get(id) : undefined;
  }

  /** JPA optimistic locking: a save must carry the stored hbVersion. */
  private staleness(vnfr: Vnfr): string | undefined {
    const stored = vnfr.id ? this.vnfrs.get(vnfr.id) : undefined;
    if (!stored) return `no VNFR with id ${vnfr.id ?? '(none)'}`;
    if ((vnfr.hbVersion ?? 0) !== (stored.hbVersion ?? 0)) {
      return `Row was updated or deleted by another transaction (optimistic locking failed): VNFR ${vnfr.name ?? ''} has hbVersion ${vnfr.hbVersion ?? 0}, stored ${stored.hbVersion ?? 0}`;
    }
    return undefined;
  }

  private save(vnfr: Vnfr, input: { nsr?: Nsr; status?: Status; history?: string; bump?: boolean; force?: boolean }): boolean {
    const stale = input.force ? undefined : this.staleness(vnfr);
    const nsr = input.nsr ?? this.nsrs.get(vnfr.parent_ns_id ?? '');
    if (stale) {
      this.log.error({ vnfr: vnfr.name }, stale);
      const stored = this.vnfrs.get(vnfr.id ?? '');
      if (stored && nsr) this.fail(nsr, stored, stale);
      return false;
    }
    const copy = structuredClone(vnfr);
    copy.hbVersion = (copy.hbVersion ?? 0) + 1;
    if (input.history) copy.lifecycle_event_history = [...(copy.lifecycle_event_history ?? []), history(input.history, `${input.history} executed`)];
    if (input.status && nsr) this.setStatus(nsr, copy, input.status);
    else this.vnfrs.set(copy.id ?? '', copy);
    return true;
  }

  /**
   * ErrorTask (ErrorTask.java:77-105): a VNFR with an id is merged into its record; one without an id is inserted as
   * a new record (AbstractTask.java:106-112) — when the NSR already has a VNFR of that name, that is a duplicate
   * VNFR, which the NFVO keeps. The simulator keeps one record per name but lists such duplicates
   * ({@link duplicateVnfrs}) so tests can assert there are none.
   */
  private errorTask(nsr: Nsr, vnfr: Vnfr, message: string): void {
    if (vnfr.id === undefined && this.findByName(nsr, vnfr.name ?? '') !== undefined) {
      this.log.error({ vnfr: vnfr.name }, 'ERROR with an id-less VNFR whose name the NSR already has: the NFVO would insert a duplicate VNFR');
      this.duplicates.push({ nsrId: nsr.id, vnfr: structuredClone(vnfr), via: 'ERROR' });
    }
    this.fail(nsr, vnfr, message);
  }

  private fail(nsr: Nsr, vnfr: Vnfr, message: string): void {
    const stored = structuredClone(this.vnfrs.get(vnfr.id ?? '') ?? this.findByName(nsr, vnfr.name ?? '') ?? vnfr);
    stored.lifecycle_event_history = [...(stored.lifecycle_event_history ?? []), history('ERROR', message.slice(0, 1024))];
    stored.hbVersion = (stored.hbVersion ?? 0) + 1;
    // A VNFR that failed before GRANT_OPERATION has no id yet: the NFVO still records it in ERROR.
    stored.id ??= randomUUID();
    nsr.vnfrs.set(stored.name ?? '', stored.id);
    this.setStatus(nsr, stored, 'ERROR');
  }

  private setStatus(nsr: Nsr, vnfr: Vnfr, status: Status): void {
    vnfr.status = status;
    // Any task's findAndSetNSRStatus recomputes the NSR status after RESUME set it.
    if (status !== 'RESUMING') nsr.resuming = false;
    this.vnfrs.set(vnfr.id ?? '', vnfr);
    const before = this.nsStatus(nsr.id);
    this.events.emit('vnfr-status', { nsrId: nsr.id, vnfrId: vnfr.id ?? '', name: vnfr.name ?? '', status });
    const after = this.nsStatus(nsr.id);
    if (after !== before || status === 'ERROR') this.events.emit('ns-status', { nsrId: nsr.id, status: after });
  }
}

function history(event: string, description: string): { event: string; description: string; executedAt: string } {
  return { event, description, executedAt: HISTORY_FORMAT() };
}


function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function toPackage(name: string, input: PackageInput | undefined): VNFPackage {
  const pkg: VNFPackage = { id: randomUUID(), hbVersion: 0, name };
  if (input?.scriptsLink) pkg.scriptsLink = input.scriptsLink;
  pkg.scripts = Object.entries(input?.scripts ?? {}).map(([scriptName, content]) => ({ id: randomUUID(), name: scriptName, payload: bytesToPayload(toBytes(content)) }));
  return pkg;
}

function dependencyOrder(nsr: Nsr): string[] {
  const order: string[] = [];
  const visit = (name: string, seen: Set<string>): void => {
    if (order.includes(name) || seen.has(name)) return;
    seen.add(name);
    for (const plan of nsr.plans.filter((p) => p.target === name)) for (const s of plan.sources.keys()) visit(s, seen);
    order.push(name);
  };
  for (const name of nsr.vnfds.keys()) visit(name, new Set());
  return order;
}

function stripIds<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripIds) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'id' && k !== 'hbVersion').map(([k, v]) => [k, stripIds(v)])) as T;
  return value;
}

/**
 * Fields that are Java `Map`s, not entities: they never get an `id`/`hbVersion` (their values may be entities, e.g.
 * the RequiresParameters of a VNFD's `requires`). A VNFR's `requires` is a Configuration entity (it has a name or
 * configurationParameters), so `requires` counts as a map only when every value is an object.
 */
const MAP_FIELDS: ReadonlySet<string> = new Set(['requires', 'metadata', 'extension', 'vduVim', 'vimInstances', 'idType', 'parameters', 'vnfcParameters', 'env']);
const isMapField = (key: string | undefined, o: Record<string, unknown>): boolean =>
  key !== undefined && MAP_FIELDS.has(key) && (key !== 'requires' || Object.values(o).every((v) => v !== null && typeof v === 'object' && !Array.isArray(v)));

function assignIds<T>(value: T, key?: string): T {
  if (Array.isArray(value)) return value.map((v) => assignIds(v)) as T;
  if (value !== null && typeof value === 'object') {
    const o = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, assignIds(v, k)])) as Record<string, unknown>;
    if (isMapField(key, o)) return o as T;
    // Other string-valued objects are maps too; entities are objects with object/array fields or a name.
    const looksLikeEntity = Object.values(o).some((v) => typeof v !== 'string') || 'name' in o || 'confKey' in o || Object.keys(o).length === 0;
    if (looksLikeEntity && o['id'] === undefined) o['id'] = randomUUID();
    if (looksLikeEntity && o['hbVersion'] === undefined) o['hbVersion'] = 0;
    return o as T;
  }
  return value;
}
