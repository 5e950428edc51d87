import { randomUUID } from 'node:crypto';
import {
  allVnfcs,
  bytesToPayload,
  type NetworkServiceDescriptor,
  type Script,
  type VNFPackage,
  type VNFRecordDependency,
  type VimInstance,
  type VirtualNetworkFunctionDescriptor,
  type VirtualNetworkFunctionRecord,
} from '@vnfkit/protocol';
import type { Logger } from 'pino';
import { buildDependency, planDependencies } from '../dependencies.js';
import { checkScaleIn, checkScaleOut, validateNsd } from '../nsd-rules.js';
import type { VimDriver } from '../vim-driver.js';
import type { Commands } from './commands.js';
import { assignIds, stripIds } from './ids.js';
import type { Nsr, Records } from './records.js';
import { firstUrl } from '@vnfkit/transport';

type Vnfr = VirtualNetworkFunctionRecord;

/** Scripts of a VNF package: file contents by name, or a git link. */
export interface PackageInput {
  scripts?: Record<string, string | Uint8Array>;
  scriptsLink?: string;
}

/** What {@link Operations.deploy} deploys besides the NSD. */
export interface DeployInput {
  packages?: Record<string, PackageInput>;
  keys?: { name: string; publicKey: string }[];
}

/** The inputs of {@link Operations}. */
export interface OperationsDeps {
  records: Records;
  commands: Commands;
  vim: VimDriver;
  /** Broker URL handed to VMs (their agents connect there). */
  brokerUrl: string;
  /** Registered VNFM types → endpoints. */
  endpoints: ReadonlyMap<string, string>;
  log: Logger;
}

/**
 * The NFVO's REST API: the operations a test asks for (deploy, scale, heal, start/stop, update, resume, execute,
 * logs, terminate), each turned into the commands the NFVO sends to the VNFMs.
 */
export class Operations {
  constructor(private readonly deps: OperationsDeps) {}

  /**
   * Deploys an NSD: one INSTANTIATE per VNFD, all at once. Returns the NSR id at once. As the 6.0 NFVO: `deploy` hands
   * each VNFD to the `@Async` `handleVNF` (VnfmManager.java:153-161, VnfStateHandler.java:61-82), which sends through
   * the `@Async` `sendCommand` (RabbitVnfmSender.java:49-67), on an executor with no queue and no thread limit
   * (AsyncExecutorConfig.java:35-56; application.properties:79-83): no command waits for another.
   */
  deploy(uploaded: NetworkServiceDescriptor, input: DeployInput): string {
    // The NFVO's upload checks (lifecycle events, schema, dependencies): a refused NSD sends nothing.
    const nsd = validateNsd(uploaded);
    const nsr: Nsr = {
      id: randomUUID(),
      name: nsd.name ?? 'ns',
      vnfds: new Map(),
      packages: new Map(),
      plans: planDependencies(nsd),
      vnfrs: new Map(),
      modified: new Set(),
    };
    for (const vnfd of nsd.vnfd) {
      const name = vnfd.name ?? '';
      const endpoint = vnfd.endpoint ?? vnfd.type ?? '';
      if (!this.deps.endpoints.has(endpoint)) throw new Error(`no VNFM of type ${endpoint} is registered (VNFD ${name})`);
      const withIds = assignIds(vnfd);
      nsr.vnfds.set(name, withIds);
      nsr.packages.set(name, toPackage(name, input.packages?.[name]));
    }
    this.deps.records.addNsr(nsr);
    for (const vnfd of nsr.vnfds.values()) this.deps.commands.track(this.instantiate(nsr, vnfd, input.keys ?? []));
    return nsr.id;
  }

  private async instantiate(nsr: Nsr, vnfd: VirtualNetworkFunctionDescriptor, keys: { name: string; publicKey: string }[]): Promise<void> {
    const vim: VimInstance = { id: randomUUID(), name: this.deps.vim.name, type: 'test', active: true };
    const message = {
      action: 'INSTANTIATE',
      vnfd,
      vnfdf: vnfd.deployment_flavour?.[0] ?? { flavour_key: 'm1.small' },
      vnfInstanceName: vnfd.name,
      vlrs: [
        ...new Set(
          (vnfd.vdu ?? []).flatMap((v) =>
            (v.vnfc ?? []).flatMap((c) => (c.connection_point ?? []).map((cp) => cp.virtual_link_reference ?? 'private')),
          ),
        ),
      ].map((name) => ({ id: randomUUID(), name, extId: `net-${name}` })),
      extension: this.extension(nsr),
      vimInstances: Object.fromEntries((vnfd.vdu ?? []).map((v) => [v.id ?? '', [vim]])),
      vnfPackage: nsr.packages.get(vnfd.name ?? ''),
      keys,
    };
    await this.deps.commands.command(nsr, { message, endpoint: vnfd.endpoint ?? vnfd.type ?? '', vnfrName: vnfd.name ?? '' });
  }

  private extension(nsr: Nsr): Record<string, string> {
    // As the NFVO's MessageGenerator (6.0.0 vnfm/vnfm-impl/.../vnfm_reg/state/MessageGenerator.java:88-98, 133-134):
    // one broker host (nfvo.rabbit.brokerIp) and port (spring.rabbitmq.port) — of a cluster's URL list, the first
    // node; monitoringIp (nfvo.monitoring.ip, default empty) and timezone (nfvo.timezone: an NFVO setting, CET by
    // default there, UTC here).
    const url = new URL(firstUrl(this.deps.brokerUrl));
    return { 'nsr-id': nsr.id, brokerIp: url.hostname, brokerPort: url.port || '5672', monitoringIp: '', timezone: 'UTC' };
  }

  /** Scales a VNFR out by one VNFC (`mode: 'standby'` for a standby VNFC). */
  async scaleOut(nsrId: string, vnfrName: string, options: { mode?: string }): Promise<void> {
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const vnfr = structuredClone(records.vnfr(nsrId, vnfrName));
    const vdu = vnfr.vdu?.[0];
    if (!vdu) throw new Error(`VNFR ${vnfrName} has no VDU`);
    checkScaleOut(vdu);
    const template = vdu.vnfc?.[0] ?? {};
    const component = { ...assignIds(stripIds(template)) };
    vdu.vnfc = [...(vdu.vnfc ?? []), component];
    records.save(vnfr, { bump: true });
    const dependency = this.dependencyForTarget(nsr, vnfrName);
    const message: Record<string, unknown> = {
      action: 'SCALE_OUT',
      virtualNetworkFunctionRecord: records.get(vnfr.id),
      component,
      vnfPackage: nsr.packages.get(vnfrName),
      extension: { ...this.extension(nsr), 'nsr-id': undefined },
    };
    if (dependency) message['dependency'] = dependency;
    if (options.mode) message['mode'] = options.mode;
    await this.deps.commands.command(nsr, { message, endpoint: vnfr.endpoint ?? '', vnfrName, context: { component: component.id } });
  }

  /** Removes one VNFC: SCALE_IN to every dependency target, then the VM is deleted. */
  async scaleIn(nsrId: string, vnfrName: string, hostname: string): Promise<void> {
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const source = records.vnfr(nsrId, vnfrName);
    const removed = allVnfcs(source).find((c) => c.hostname === hostname);
    if (!removed) throw new Error(`VNFR ${vnfrName} has no VNFC ${hostname}`);
    const vdu = (source.vdu ?? []).find((v) => (v.vnfc_instance ?? []).some((c) => c.hostname === hostname));
    if (vdu) checkScaleIn(vdu);
    for (const plan of nsr.plans.filter((p) => p.sources.has(vnfrName))) {
      const target = records.vnfr(nsrId, plan.target);
      await this.deps.commands.command(nsr, {
        message: { action: 'SCALE_IN', virtualNetworkFunctionRecord: target, vnfcInstance: removed },
        endpoint: target.endpoint ?? '',
        vnfrName: plan.target,
      });
    }
    await this.deps.vim.release(hostname);
    const updated = structuredClone(records.vnfr(nsrId, vnfrName));
    for (const vdu of updated.vdu ?? []) {
      vdu.vnfc_instance = (vdu.vnfc_instance ?? []).filter((c) => c.hostname !== hostname);
      vdu.vnfc = (vdu.vnfc ?? []).filter((c) => c.id !== removed.vnfComponent?.id);
    }
    records.save(updated, { bump: true });
  }

  /** HEAL of one VNFC; `switchToStandby` marks it FAILED and heals the first STANDBY VNFC instead. */
  async heal(nsrId: string, vnfrName: string, input: { hostname: string; cause: string }): Promise<void> {
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const vnfr = structuredClone(records.vnfr(nsrId, vnfrName));
    let vnfc = allVnfcs(vnfr).find((c) => c.hostname === input.hostname);
    if (!vnfc) throw new Error(`VNFR ${vnfrName} has no VNFC ${input.hostname}`);
    if (input.cause === 'switchToStandby') {
      vnfc.state = 'FAILED';
      const standby = allVnfcs(vnfr).find((c) => c.state?.toLowerCase() === 'standby');
      if (!standby) throw new Error(`VNFR ${vnfrName} has no STANDBY VNFC to switch to`);
      vnfc = standby;
      records.save(vnfr, { bump: true });
    }
    await this.deps.commands.command(nsr, {
      message: { action: 'HEAL', virtualNetworkFunctionRecord: records.vnfr(nsrId, vnfrName), vnfcInstance: vnfc, cause: input.cause },
      endpoint: vnfr.endpoint ?? '',
      vnfrName,
    });
  }

  /** START or STOP of one VNFC (or the whole VNFR without `hostname`). */
  async startStop(nsrId: string, vnfrName: string, input: { action: 'START' | 'STOP'; hostname?: string }): Promise<void> {
    const { records } = this.deps;
    const vnfr = records.vnfr(nsrId, vnfrName);
    const message: Record<string, unknown> = { action: input.action, virtualNetworkFunctionRecord: vnfr };
    if (input.hostname) message['vnfcInstance'] = allVnfcs(vnfr).find((c) => c.hostname === input.hostname);
    await this.deps.commands.command(records.nsr(nsrId), { message, endpoint: vnfr.endpoint ?? '', vnfrName });
  }

  /** A script of the package changed: UPDATE with the script to every VNFR built from it (later scale-outs get it too). */
  async updateScript(nsrId: string, vnfrName: string, script: { name: string; content: string | Uint8Array }): Promise<void> {
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const pkg = nsr.packages.get(vnfrName);
    const wire: Script = { name: script.name, payload: bytesToPayload(toBytes(script.content)) };
    if (pkg) pkg.scripts = [...(pkg.scripts ?? []).filter((s) => s.name !== script.name), wire];
    const vnfr = records.vnfr(nsrId, vnfrName);
    await this.deps.commands.command(nsr, { message: { action: 'UPDATE', vnfr, script: wire }, endpoint: vnfr.endpoint ?? '', vnfrName });
  }

  /** Resumes an NS in ERROR: RESUMING, then RESUME to every VNFR in ERROR (with its dependency when it is a target). */
  async resume(nsrId: string): Promise<void> {
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const failed = records.vnfrsOf(nsrId).filter((v) => v.status === 'ERROR');
    if (failed.length === 0) throw new Error(`NS ${nsrId} is not in ERROR`);
    for (const v of failed) records.setStatus(nsr, structuredClone(v), 'RESUMING');
    nsr.resuming = true;
    await Promise.all(
      failed.map(async (v) => {
        const vnfr = records.get(v.id) ?? v;
        const message: Record<string, unknown> = { action: 'RESUME', vnfr };
        const dep = this.dependencyForTarget(nsr, v.name ?? '');
        if (dep) message['vnfrd'] = dep;
        await this.deps.commands.command(nsr, { message, endpoint: v.endpoint ?? '', vnfrName: v.name ?? '' });
      }),
    );
  }

  /** EXECUTE of an ad-hoc script on every VNFC of a VNFR. */
  async execute(nsrId: string, vnfrName: string, script: { name: string; content: string }): Promise<void> {
    const { records } = this.deps;
    const vnfr = records.vnfr(nsrId, vnfrName);
    await this.deps.commands.command(records.nsr(nsrId), {
      message: { action: 'EXECUTE', vnfr, script: { name: script.name, payload: bytesToPayload(toBytes(script.content)) } },
      endpoint: vnfr.endpoint ?? '',
      vnfrName,
    });
  }

  /** LOG_REQUEST: returns the VNFM's answer. */
  async logs(nsrId: string, vnfrName: string, hostname: string): Promise<{ outputLog: string[]; errorLog: string[] }> {
    const vnfr = this.deps.records.vnfr(nsrId, vnfrName);
    const reply = await this.deps.commands.request(vnfr.endpoint ?? '', { action: 'LOG_REQUEST', vnfrName, hostname });
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
    const { records } = this.deps;
    const nsr = records.nsr(nsrId);
    const registered = new Set(this.deps.endpoints.values());
    await Promise.all(
      records.vnfrsOf(nsrId).map(async (v) => {
        if (v.endpoint !== undefined && v.endpoint !== '' && registered.has(v.endpoint)) {
          await this.deps.commands.command(nsr, {
            message: { action: 'RELEASE_RESOURCES', vnfr: v },
            endpoint: v.endpoint,
            vnfrName: v.name ?? '',
          });
          return;
        }
        this.deps.log.warn(
          { vnfr: v.name, endpoint: v.endpoint },
          'no registered VNFM for this VNFR: releasing its VMs on the VIM directly',
        );
        for (const c of allVnfcs(v)) if (c.hostname) await this.deps.vim.release(c.hostname);
        records.save(v, { nsr, status: 'TERMINATED', history: 'RELEASE', force: true });
      }),
    );
  }

  /** The dependency a target VNFR gets with SCALE_OUT or RESUME: its sources as they are now. */
  private dependencyForTarget(nsr: Nsr, name: string): VNFRecordDependency | undefined {
    const plan = nsr.plans.find((p) => p.target === name);
    if (!plan) return undefined;
    const sources = [...plan.sources.keys()].map((s) => this.deps.records.findByName(nsr, s)).filter((v): v is Vnfr => v !== undefined);
    return buildDependency({ plan, sources });
  }
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function toPackage(name: string, input: PackageInput | undefined): VNFPackage {
  const pkg: VNFPackage = { id: randomUUID(), hbVersion: 0, name };
  if (input?.scriptsLink) pkg.scriptsLink = input.scriptsLink;
  pkg.scripts = Object.entries(input?.scripts ?? {}).map(([scriptName, content]) => ({
    id: randomUUID(),
    name: scriptName,
    payload: bytesToPayload(toBytes(content)),
  }));
  return pkg;
}
