import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import {
  TimeoutError,
  lowestStatus,
  type Status,
  type VNFPackage,
  type VirtualNetworkFunctionDescriptor,
  type VirtualNetworkFunctionRecord,
} from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { DependencyPlan } from '../dependencies.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** A network service record as the simulator keeps it. */
export interface Nsr {
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

/** How a VNFR the real NFVO would have stored twice came in (see {@link Records.duplicateVnfrs}). */
export type DuplicateVia = 'GRANT_OPERATION' | 'ERROR';

/** The fields of a {@link Records.save}. */
export interface SaveInput {
  nsr?: Nsr;
  status?: Status;
  /** A lifecycle event to add to the history (`<event> executed`). */
  history?: string;
  bump?: boolean;
  /** Save without the optimistic-locking check. */
  force?: boolean;
  /**
   * Store `vnfr` itself instead of a copy: the caller's own object (decoded from a message or copied for this
   * save), which it does not touch afterwards.
   */
  adopt?: boolean;
}

const HISTORY_FORMAT = (): string => new Date().toISOString();

/** A lifecycle event history entry, executed now. */
export function history(event: string, description: string): { event: string; description: string; executedAt: string } {
  return { event, description, executedAt: HISTORY_FORMAT() };
}

/**
 * The NFVO's repository of NSRs and VNFRs and its status rules: optimistic locking on save, ERROR on a failed
 * save or task, the NS status as the lowest VNFR status. Every VNFR status change is emitted on `events` as
 * `vnfr-status`, every NS status change (and every VNFR ERROR) as `ns-status`.
 */
export class Records {
  private readonly vnfrs = new Map<string, Vnfr>();
  private readonly nsrs = new Map<string, Nsr>();
  /** VNFRs the real NFVO would have stored twice (see {@link duplicateVnfrs}). */
  private readonly duplicates: { nsrId: string; vnfr: Vnfr; via: DuplicateVia }[] = [];

  constructor(private readonly deps: { events: EventEmitter; log: Logger }) {}

  addNsr(nsr: Nsr): void {
    this.nsrs.set(nsr.id, nsr);
  }

  /** The NSR of `nsrId`, or undefined when there is none (never created, or deleted). */
  findNsr(nsrId: string): Nsr | undefined {
    return this.nsrs.get(nsrId);
  }

  /** The NSR of `nsrId`; throws when there is none. */
  nsr(nsrId: string): Nsr {
    const nsr = this.nsrs.get(nsrId);
    if (!nsr) throw new Error(`no NSR ${nsrId}`);
    return nsr;
  }

  /** Deletes an NSR with its VNFRs. */
  deleteNsr(nsr: Nsr): void {
    for (const id of nsr.vnfrs.values()) this.vnfrs.delete(id);
    this.nsrs.delete(nsr.id);
  }

  /** The stored VNFR of `id`. */
  get(id: string | undefined): Vnfr | undefined {
    return this.vnfrs.get(id ?? '');
  }

  findByName(nsr: Nsr, name: string): Vnfr | undefined {
    const id = nsr.vnfrs.get(name);
    return id ? this.vnfrs.get(id) : undefined;
  }

  /** The stored VNFR of `name` in an NSR. */
  vnfr(nsrId: string, name: string): Vnfr {
    const id = this.nsr(nsrId).vnfrs.get(name);
    const vnfr = id ? this.vnfrs.get(id) : undefined;
    if (!vnfr) throw new Error(`NSR ${nsrId} has no VNFR ${name}`);
    return vnfr;
  }

  /** All VNFRs of an NSR. */
  vnfrsOf(nsrId: string): Vnfr[] {
    const vnfrs: Vnfr[] = [];
    for (const id of this.nsr(nsrId).vnfrs.values()) {
      const vnfr = this.vnfrs.get(id);
      if (vnfr) vnfrs.push(vnfr);
    }
    return vnfrs;
  }

  /**
   * VNFRs the real NFVO would have stored a second time for one VNF of the NSR: a GRANT_OPERATION or an ERROR with an
   * id-less VNFR whose name the NSR already has (each inserts a new record, AbstractTask.java:106-112). Empty for a
   * VNFM that never repeats a GRANT.
   */
  duplicateVnfrs(nsrId: string): { vnfr: Vnfr; via: DuplicateVia }[] {
    return this.duplicates.filter((d) => d.nsrId === nsrId).map(({ vnfr, via }) => ({ vnfr, via }));
  }

  /** Lists a VNFR the real NFVO would have inserted a second time (see {@link duplicateVnfrs}). */
  addDuplicate(nsr: Nsr, vnfr: Vnfr, via: DuplicateVia): void {
    this.duplicates.push({ nsrId: nsr.id, vnfr: structuredClone(vnfr), via });
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
    const { events } = this.deps;
    await new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        const now = this.nsStatus(nsrId);
        if (now === status) return true;
        if (now === 'ERROR' && status !== 'ERROR') {
          const history = this.vnfrsOf(nsrId).flatMap((v) =>
            (v.lifecycle_event_history ?? []).filter((h) => h.event === 'ERROR').map((h) => `${v.name ?? ''}: ${h.description ?? ''}`),
          );
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
        events.off('vnfr-status', listener);
      };
      events.on('vnfr-status', listener);
      listener();
    });
  }

  /** JPA optimistic locking: a save must carry the stored hbVersion. */
  staleness(vnfr: Vnfr): string | undefined {
    const stored = vnfr.id ? this.vnfrs.get(vnfr.id) : undefined;
    if (!stored) return `no VNFR with id ${vnfr.id ?? '(none)'}`;
    if ((vnfr.hbVersion ?? 0) !== (stored.hbVersion ?? 0)) {
      return `Row was updated or deleted by another transaction (optimistic locking failed): VNFR ${vnfr.name ?? ''} has hbVersion ${vnfr.hbVersion ?? 0}, stored ${stored.hbVersion ?? 0}`;
    }
    return undefined;
  }

  /**
   * Saves a copy of `vnfr` (`vnfr` itself with {@link SaveInput.adopt}) with hbVersion + 1; a stale one is not saved
   * and puts the stored VNFR in ERROR (false).
   */
  save(vnfr: Vnfr, input: SaveInput): boolean {
    const stale = input.force ? undefined : this.staleness(vnfr);
    const nsr = input.nsr ?? this.nsrs.get(vnfr.parent_ns_id ?? '');
    if (stale) {
      this.deps.log.error({ vnfr: vnfr.name }, stale);
      const stored = this.vnfrs.get(vnfr.id ?? '');
      if (stored && nsr) this.fail(nsr, stored, stale);
      return false;
    }
    const copy = input.adopt === true ? vnfr : structuredClone(vnfr);
    copy.hbVersion = (copy.hbVersion ?? 0) + 1;
    if (input.history)
      copy.lifecycle_event_history = [...(copy.lifecycle_event_history ?? []), history(input.history, `${input.history} executed`)];
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
  errorTask(nsr: Nsr, vnfr: Vnfr, message: string): void {
    if (vnfr.id === undefined && this.findByName(nsr, vnfr.name ?? '') !== undefined) {
      this.deps.log.error(
        { vnfr: vnfr.name },
        'ERROR with an id-less VNFR whose name the NSR already has: the NFVO would insert a duplicate VNFR',
      );
      this.addDuplicate(nsr, vnfr, 'ERROR');
    }
    this.fail(nsr, vnfr, message);
  }

  /** Puts the VNFR (the stored one, else `vnfr`) in ERROR with `message` in its history. */
  fail(nsr: Nsr, vnfr: Vnfr, message: string): void {
    const stored = structuredClone(this.vnfrs.get(vnfr.id ?? '') ?? this.findByName(nsr, vnfr.name ?? '') ?? vnfr);
    stored.lifecycle_event_history = [...(stored.lifecycle_event_history ?? []), history('ERROR', message.slice(0, 1024))];
    stored.hbVersion = (stored.hbVersion ?? 0) + 1;
    // A VNFR that failed before GRANT_OPERATION has no id yet: the NFVO still records it in ERROR.
    stored.id ??= randomUUID();
    nsr.vnfrs.set(stored.name ?? '', stored.id);
    this.setStatus(nsr, stored, 'ERROR');
  }

  /** Stores `vnfr` (as is, no version bump) with `status` and emits the status changes. */
  setStatus(nsr: Nsr, vnfr: Vnfr, status: Status): void {
    vnfr.status = status;
    // Any task's findAndSetNSRStatus recomputes the NSR status after RESUME set it.
    if (status !== 'RESUMING') nsr.resuming = false;
    this.vnfrs.set(vnfr.id ?? '', vnfr);
    const before = this.nsStatus(nsr.id);
    this.deps.events.emit('vnfr-status', { nsrId: nsr.id, vnfrId: vnfr.id ?? '', name: vnfr.name ?? '', status });
    const after = this.nsStatus(nsr.id);
    if (after !== before || status === 'ERROR') this.deps.events.emit('ns-status', { nsrId: nsr.id, status: after });
  }
}
