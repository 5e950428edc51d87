import {
  allVnfcs,
  decodeVnfmMessage,
  recordOf,
  toError,
  type Status,
  type VNFCInstance,
  type VirtualNetworkFunctionRecord,
  type VnfmMessage,
} from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { IncomingMessage } from '@vnfkit/transport';
import { buildDependency, type DependencyPlan } from '../dependencies.js';
import type { VimDriver } from '../vim-driver.js';
import type { Commands } from './commands.js';
import type { Nsr, Records } from './records.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** The inputs of {@link Tasks}. */
export interface TasksDeps {
  records: Records;
  commands: Commands;
  vim: VimDriver;
  /** Send START in dependency order, after every VNFR is INACTIVE (`nfvo.start.ordered`). */
  startOrdered: boolean;
  log: Logger;
}

/**
 * What the NFVO does on each VNFM reply and notification: the state machine of a VNFR (INITIALIZED → INACTIVE →
 * ACTIVE, ERROR, TERMINATED) and the commands that follow (MODIFY of dependency targets, START).
 */
export class Tasks {
  constructor(private readonly deps: TasksDeps) {}

  /** A message on the NFVO's `vnfm.nfvo.actions` queue (no answer due): the task of its action for the VNFR's NSR. */
  async onNotification(message: IncomingMessage): Promise<void> {
    try {
      const msg = decodeVnfmMessage(message.body);
      const vnfr = recordOf(msg);
      const nsr = vnfr?.parent_ns_id ? this.deps.records.findNsr(vnfr.parent_ns_id) : undefined;
      if (nsr) await this.onReply(nsr, msg);
    } catch (error) {
      this.deps.log.error({ err: toError(error).message }, 'invalid VNFM notification dropped');
    }
  }

  async onReply(nsr: Nsr, reply: VnfmMessage, vnfrName?: string): Promise<void> {
    const { records, log } = this.deps;
    const vnfr = recordOf(reply);
    switch (reply.action) {
      case 'ERROR': {
        const detail = reply.exception?.detailMessage ?? 'VNFM reported ERROR';
        if (vnfr) {
          records.errorTask(nsr, vnfr, detail);
        } else {
          // The real 6.0 NFVO fails on this one (ErrorTask dereferences the VNFR: AbstractTask.java:323,
          // ErrorTask.java:77) and the NS stays as it was; the simulator takes ErrorTask's intended branch
          // (ErrorTask.java:106-115) and puts the VNFR the command was for in ERROR, so the test sees it.
          log.error({ vnfrName }, 'VNFM replied ERROR without a VNFR (the real NFVO 6.0 fails on that); marking the VNFR ERROR');
          records.fail(nsr, (vnfrName !== undefined ? records.findByName(nsr, vnfrName) : undefined) ?? { name: vnfrName ?? '' }, detail);
        }
        return;
      }
      case 'INSTANTIATE':
        if (!vnfr || !records.save(vnfr, { nsr, status: 'INITIALIZED', history: 'INSTANTIATE', adopt: true })) return;
        await this.afterInstantiate(nsr, vnfr.name ?? '');
        return;
      case 'MODIFY': {
        if (!vnfr) return;
        // A re-MODIFY of a running target (after a source scaled out or healed) leaves it ACTIVE; only the
        // deployment chain goes INACTIVE → START.
        const running = records.get(vnfr.id)?.status === 'ACTIVE';
        if (!records.save(vnfr, { nsr, status: running ? 'ACTIVE' : 'INACTIVE', history: 'CONFIGURE', adopt: true })) return;
        if (!running) await this.sendStart(nsr, vnfr.name ?? '');
        return;
      }
      case 'START':
      case 'STOP': {
        if (!vnfr) return;
        const vnfcs = allVnfcs(vnfr);
        const one = reply.vnfcInstance;
        const state = reply.action === 'START' ? 'ACTIVE' : 'INACTIVE';
        for (const c of vnfcs) if (!one || c.id === one.id) c.state = state;
        const status: Status = reply.action === 'START' ? 'ACTIVE' : vnfcs.some((c) => c.state === 'ACTIVE') ? 'ACTIVE' : 'INACTIVE';
        records.save(vnfr, { nsr, status, history: reply.action, adopt: true });
        return;
      }
      case 'RELEASE_RESOURCES':
        if (!vnfr) return;
        for (const c of allVnfcs(vnfr)) if (c.hostname) await this.deps.vim.release(c.hostname);
        records.save(vnfr, { nsr, status: 'TERMINATED', history: 'RELEASE', force: true, adopt: true });
        return;
      case 'SCALED': {
        if (!vnfr) return;
        const added = allVnfcs(vnfr).find((c) => c.id === reply.vnfcInstance.id);
        if (added && added.state?.toLowerCase() !== 'standby') added.state = 'ACTIVE';
        if (!records.save(vnfr, { nsr, status: 'ACTIVE', history: 'SCALE_OUT', adopt: true })) return;
        if (added) await this.modifyTargetsWith(nsr, vnfr.name ?? '', [added]);
        return;
      }
      case 'HEAL': {
        if (!vnfr || !records.save(vnfr, { nsr, status: 'ACTIVE', history: 'HEAL', adopt: true })) return;
        // HealTask.java:74-88: a reply with a cause other than switchToStandby ends the heal; without a cause (as
        // Open Baton's VNFMs reply) or with switchToStandby, an ACTIVE VNFC is passed to the dependent VNFRs.
        const cause = reply.cause;
        if ((cause === undefined || cause === 'switchToStandby') && reply.vnfcInstance?.state === 'ACTIVE') {
          await this.modifyTargetsWith(nsr, vnfr.name ?? '', [reply.vnfcInstance]);
        }
        return;
      }
      case 'UPDATE':
        if (vnfr) records.save(vnfr, { nsr, status: vnfr.status ?? 'ACTIVE', history: 'UPDATE', adopt: true });
        return;
      default:
        log.warn({ action: reply.action }, 'no NFVO task for this reply (as in Open Baton 6.0)');
    }
  }

  private async afterInstantiate(nsr: Nsr, name: string): Promise<void> {
    const { records, commands } = this.deps;
    const isTarget = nsr.plans.some((p) => p.target === name);
    if (!isTarget) await this.sendStart(nsr, name);
    // Targets whose sources are all instantiated now get MODIFY.
    for (const plan of nsr.plans) {
      if (nsr.modified.has(plan.target)) continue;
      const target = records.findByName(nsr, plan.target);
      if (!target || target.status !== 'INITIALIZED') continue;
      const sources = [...plan.sources.keys()].map((s) => records.findByName(nsr, s));
      if (sources.some((s) => !s || !['INITIALIZED', 'INACTIVE', 'ACTIVE'].includes(s.status ?? ''))) continue;
      nsr.modified.add(plan.target);
      const dependency = buildDependency({ plan, sources: sources as Vnfr[] });
      await commands.command(nsr, {
        message: { action: 'MODIFY', vnfr: target, vnfrd: dependency },
        endpoint: target.endpoint ?? '',
        vnfrName: plan.target,
      });
    }
  }

  private async sendStart(nsr: Nsr, name: string): Promise<void> {
    const { records, commands } = this.deps;
    if (this.deps.startOrdered) {
      // nfvo.start.ordered: wait until every VNFR is INACTIVE, then START them in dependency order.
      const all = [...nsr.vnfds.keys()].map((n) => records.findByName(nsr, n));
      if (all.some((v) => v?.status !== 'INACTIVE' && !(v && !nsr.plans.some((p) => p.target === v.name) && v.status === 'INITIALIZED')))
        return;
      for (const vnfdName of dependencyOrder(nsr)) {
        const v = records.findByName(nsr, vnfdName);
        if (v)
          await commands.command(nsr, {
            message: { action: 'START', virtualNetworkFunctionRecord: v },
            endpoint: v.endpoint ?? '',
            vnfrName: vnfdName,
          });
      }
      return;
    }
    const vnfr = records.findByName(nsr, name);
    if (vnfr)
      await commands.command(nsr, {
        message: { action: 'START', virtualNetworkFunctionRecord: vnfr },
        endpoint: vnfr.endpoint ?? '',
        vnfrName: name,
      });
  }

  private async modifyTargetsWith(nsr: Nsr, sourceName: string, vnfcs: VNFCInstance[]): Promise<void> {
    const { records, commands } = this.deps;
    const source = records.findByName(nsr, sourceName);
    if (!source) return;
    for (const plan of nsr.plans.filter((p) => p.sources.has(sourceName))) {
      const target = records.findByName(nsr, plan.target);
      if (!target) continue;
      const only: DependencyPlan = { target: plan.target, sources: new Map([[sourceName, plan.sources.get(sourceName) ?? []]]) };
      const dependency = buildDependency({ plan: only, sources: [source], onlyVnfcs: vnfcs });
      delete dependency.id;
      await commands.command(nsr, {
        message: { action: 'MODIFY', vnfr: target, vnfrd: dependency },
        endpoint: target.endpoint ?? '',
        vnfrName: plan.target,
      });
    }
  }
}

/** The NSR's VNFD names, every dependency source before its targets. */
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
