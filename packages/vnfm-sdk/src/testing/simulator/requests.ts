import { randomUUID } from 'node:crypto';
import {
  decodeVnfmMessage,
  encodeMessage,
  toError,
  type VNFCInstance,
  type VirtualNetworkFunctionRecord,
  type VnfmMessage,
} from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { IncomingMessage, Transport } from '@vnfkit/transport';
import { NFVO_REPLY_PROPERTIES } from '../../nfvo/nfvo-client.js';
import type { VimDriver } from '../vim-driver.js';
import type { Commands, MessageEvent } from './commands.js';
import { assignIds } from './ids.js';
import { history, type Nsr, type Records } from './records.js';

type Vnfr = VirtualNetworkFunctionRecord;

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

/** The inputs of {@link Requests}. */
export interface RequestsDeps {
  transport: Transport;
  records: Records;
  commands: Commands;
  vim: VimDriver;
  /** Broker URL handed to VMs (their agents connect there). */
  brokerUrl: string;
  /** The faults in force now (they may change at any time). */
  faults: () => Faults;
  emit: (event: MessageEvent) => void;
  log: Logger;
}

/**
 * The NFVO's answers to VNFM requests on `vnfm.nfvo.actions.reply`: GRANT_OPERATION, ALLOCATE_RESOURCES (VMs from the
 * {@link VimDriver}), SCALING and UPDATEVNFR, with the injected {@link Faults}.
 */
export class Requests {
  /** Answers to VNFM requests by correlation id (see {@link onRequest}). */
  private readonly answers = new Map<string, Promise<Uint8Array | undefined>>();

  constructor(private readonly deps: RequestsDeps) {}

  /**
   * VNFM → NFVO requests are answered once per correlation id: a redelivery (the simulator's connection
   * dropped before it acked) gets the first answer again instead of a second grant or allocation, and
   * waits for it while the first delivery is still being answered.
   */
  async onRequest(message: IncomingMessage): Promise<void> {
    const id = message.properties.correlationId;
    let answering = id === undefined ? undefined : this.answers.get(id);
    if (answering) {
      this.deps.log.info({ correlationId: id, redelivered: message.redelivered }, 'request seen before: answered with the first answer');
    } else {
      answering = this.answerOf(message);
      if (id !== undefined) {
        this.answers.set(id, answering);
        // Bounded memory: the oldest ids are forgotten (a redelivery comes within seconds).
        for (const key of this.answers.keys()) {
          if (this.answers.size <= 1_000) break;
          this.answers.delete(key);
        }
      }
    }
    const body = await answering;
    if (body !== undefined) await this.deps.transport.reply(message, body, NFVO_REPLY_PROPERTIES);
  }

  /** Holds a request while `faults.requestDelayMs` says so; lowering it (e.g. to 0) releases the waiting ones. */
  private async requestDelay(): Promise<void> {
    const since = Date.now();
    while (Date.now() - since < (this.deps.faults().requestDelayMs ?? 0)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, (this.deps.faults().requestDelayMs ?? 0) - (Date.now() - since))));
    }
  }

  /** The encoded answer to one request (undefined: none is due, as Open Baton answers nothing). */
  private async answerOf(message: IncomingMessage): Promise<Uint8Array | undefined> {
    let answer: unknown;
    try {
      const request = decodeVnfmMessage(message.body);
      this.deps.emit({ direction: 'from-vnfm', action: request.action, body: request });
      await this.requestDelay();
      answer = await this.answer(request);
    } catch (error) {
      // Open Baton rejects the message without answering; the VNFM's own timeout fires.
      this.deps.log.error({ err: toError(error).message }, 'invalid VNFM request: not answered (as Open Baton)');
      return undefined;
    }
    if (answer === undefined) return undefined;
    this.deps.emit({
      direction: 'to-vnfm',
      action: answer === null ? 'null' : String((answer as { action: string }).action),
      body: answer,
    });
    return encodeMessage(answer).body;
  }

  private async answer(request: VnfmMessage): Promise<unknown> {
    const { records } = this.deps;
    switch (request.action) {
      case 'GRANT_OPERATION': {
        const vnfr = request.virtualNetworkFunctionRecord;
        // No task runs for a VNFR whose NSR is gone: the answer is null (VnfStateHandler.java:124-128).
        const nsr = records.findNsr(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        // GrantoperationTask saves first (GrantoperationTask.java:83-84): an id-less VNFR is inserted as a new
        // record (AbstractTask.java:106-112), so a second GRANT for one VNF would add a second VNFR.
        if (vnfr.id === undefined && records.findByName(nsr, vnfr.name ?? '') !== undefined) {
          this.deps.log.error({ vnfr: vnfr.name }, 'a second GRANT_OPERATION for a VNF of this NSR: the NFVO inserts a duplicate VNFR');
          records.addDuplicate(nsr, vnfr, 'GRANT_OPERATION');
        }
        const granted = assignIds(vnfr);
        granted.projectId = 'vnfkit-simulator';
        granted.task = 'grantoperation';
        nsr.vnfrs.set(granted.name ?? '', granted.id ?? '');
        records.setStatus(nsr, granted, 'NULL');
        const injected = this.injectedAnswer('GRANT_OPERATION', nsr, granted);
        if (injected) return injected.answer;
        granted.lifecycle_event_history = [
          ...(granted.lifecycle_event_history ?? []),
          history('GRANTED', 'All the resources that are contained in this VNFR were granted to be deployed in the chosen VIM(s)'),
        ];
        const vim = { id: randomUUID(), name: this.deps.vim.name, type: 'test', active: true };
        return {
          action: 'GRANT_OPERATION',
          grantAllowed: true,
          vduVim: Object.fromEntries((granted.vdu ?? []).map((v) => [v.id ?? '', vim])),
          virtualNetworkFunctionRecord: granted,
        };
      }
      case 'ALLOCATE_RESOURCES': {
        const vnfr = request.virtualNetworkFunctionRecord;
        const nsr = records.findNsr(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        const stale = records.staleness(vnfr);
        if (stale) return { action: 'ERROR', vnfr, message: stale };
        const injected = this.injectedAnswer('ALLOCATE_RESOURCES', nsr, vnfr);
        if (injected) return injected.answer;
        for (const vdu of vnfr.vdu ?? []) {
          for (const c of vdu.vnfc ?? [])
            if (!(vdu.vnfc_instance ?? []).some((i) => i.vnfComponent?.id === c.id))
              vdu.vnfc_instance = [...(vdu.vnfc_instance ?? []), await this.createVm(vnfr, c, request.userdata)];
        }
        vnfr.lifecycle_event_history = [...(vnfr.lifecycle_event_history ?? []), history('ALLOCATE', 'All the resources are allocated')];
        records.save(vnfr, { bump: true, adopt: true });
        return { action: 'ALLOCATE_RESOURCES', vnfr: records.get(vnfr.id) };
      }
      case 'SCALING': {
        const vnfr = request.virtualNetworkFunctionRecord;
        const nsr = records.findNsr(vnfr.parent_ns_id ?? '');
        if (!nsr) return null;
        const stale = records.staleness(vnfr);
        if (stale) return { action: 'ERROR', vnfr, message: stale };
        const injected = this.injectedAnswer('SCALING', nsr, vnfr);
        if (injected) return injected.answer;
        vnfr.status = 'SCALING';
        for (const vdu of vnfr.vdu ?? []) {
          for (const c of vdu.vnfc ?? [])
            if (!(vdu.vnfc_instance ?? []).some((i) => i.vnfComponent?.id === c.id))
              vdu.vnfc_instance = [...(vdu.vnfc_instance ?? []), await this.createVm(vnfr, c, request.userData)];
        }
        records.save(vnfr, { bump: true, adopt: true });
        return { action: 'SCALED', vnfr: records.get(vnfr.id) };
      }
      case 'UPDATEVNFR':
        records.save(request.virtualNetworkFunctionRecord, { bump: true, adopt: true });
        return { action: 'UPDATEVNFR', vnfr: records.get(request.virtualNetworkFunctionRecord.id) };
      default:
        this.deps.log.warn({ action: request.action }, 'request with no NFVO task');
        return undefined;
    }
  }

  /**
   * The answer an injected fault gives to `action` ({@link Faults}), or undefined when none applies. `vnfr` is the
   * record as the NFVO holds it when the task fails (saved, for GRANT_OPERATION).
   */
  private injectedAnswer(
    action: 'GRANT_OPERATION' | 'ALLOCATE_RESOURCES' | 'SCALING',
    nsr: Nsr,
    vnfr: Vnfr,
  ): { answer: unknown } | undefined {
    const { records, commands, log } = this.deps;
    const faults = this.deps.faults();
    const refusal = { GRANT_OPERATION: faults.refuseGrant, ALLOCATE_RESOURCES: faults.refuseAllocate, SCALING: faults.refuseScaling }[
      action
    ];
    const nullAnswer = faults.answerNull?.action === action ? faults.answerNull.cause : undefined;
    if (nullAnswer === 'nsr-deleted') {
      log.warn({ nsrId: nsr.id, action }, 'fault: the NSR is deleted while the VNFM waits; answering null');
      records.deleteNsr(nsr);
      return { answer: null };
    }
    if (nullAnswer === 'failure') {
      const message = `${action} failed in the NFVO (injected fault)`;
      // genericExceptionHandling: an ERROR command to the VNFM first (not awaited: sendCommand is @Async), then the
      // VNFR goes to ERROR, and the request is answered null.
      commands.track(
        commands.command(nsr, {
          message: { action: 'ERROR', vnfr: structuredClone(vnfr), message },
          endpoint: vnfr.endpoint ?? '',
          vnfrName: vnfr.name ?? '',
        }),
      );
      records.fail(nsr, vnfr, message);
      return { answer: null };
    }
    if (refusal === undefined) return undefined;
    switch (action) {
      case 'GRANT_OPERATION':
        records.fail(nsr, vnfr, refusal);
        return { answer: { action: 'ERROR', vnfr: records.get(vnfr.id), message: refusal } };
      case 'ALLOCATE_RESOURCES': {
        const failed = structuredClone(vnfr);
        failed.lifecycle_event_history = [...(failed.lifecycle_event_history ?? []), history('ERROR', refusal)];
        records.save(failed, {});
        return { answer: { action: 'ERROR', vnfr: records.get(vnfr.id), message: refusal } };
      }
      case 'SCALING': {
        const message = `Error creating VM for VNFR (${vnfr.id ?? ''}) while scaling out. ${refusal}`;
        records.save(structuredClone(vnfr), { nsr, status: 'ACTIVE' });
        return { answer: { action: 'ERROR', vnfr, message } };
      }
    }
  }

  private async createVm(
    vnfr: Vnfr,
    component: { id?: string; connection_point?: { virtual_link_reference?: string }[] },
    userData: string | undefined,
  ): Promise<VNFCInstance> {
    const networks = (component.connection_point ?? []).map((cp) => cp.virtual_link_reference ?? 'private');
    const vm = await this.deps.vim.allocate({
      vnfrName: vnfr.name ?? 'vnf',
      networks,
      brokerUrl: this.deps.brokerUrl,
      emsType: vnfr.endpoint ?? vnfr.type ?? 'generic',
      ...(userData ? { userData } : {}),
    });
    return {
      id: randomUUID(),
      hbVersion: 0,
      hostname: vm.hostname,
      vim_id: vm.vimId,
      vc_id: vm.vcId,
      state: 'INACTIVE',
      vnfComponent: component,
      ips: vm.ips,
      floatingIps: vm.floatingIps,
      connection_point: structuredClone(component.connection_point ?? []),
    };
  }
}
