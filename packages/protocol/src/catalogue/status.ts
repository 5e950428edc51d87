import { z } from 'zod';

/** VNFR/NSR status, serialised by name. */
export const Status = z.enum(['ERROR', 'NULL', 'INITIALIZED', 'INACTIVE', 'SCALING', 'ACTIVE', 'TERMINATED', 'RESUMING']);
/** VNFR/NSR status. */
export type Status = z.infer<typeof Status>;

const ORDER: Record<Status, number> = {
  ERROR: 0, NULL: 1, INITIALIZED: 2, INACTIVE: 3, SCALING: 4, ACTIVE: 5, TERMINATED: 6, RESUMING: 7,
};

/** NSR status from its VNFRs' statuses: the lowest one, except that any TERMINATED wins (NFVO rule). */
export function lowestStatus(statuses: readonly Status[]): Status {
  if (statuses.length === 0) return 'NULL';
  if (statuses.includes('TERMINATED')) return 'TERMINATED';
  return statuses.reduce((low, s) => (ORDER[s] < ORDER[low] ? s : low));
}

/** Lifecycle event names (`Event` enum). */
export const Event = z.enum([
  'GRANTED', 'ALLOCATE', 'SCALE', 'RELEASE', 'ERROR', 'INSTANTIATE', 'TERMINATE', 'CONFIGURE', 'START', 'STOP',
  'HEAL', 'SCALE_OUT', 'SCALE_IN', 'SCALE_UP', 'SCALE_DOWN', 'UPDATE', 'UPDATE_ROLLBACK', 'UPGRADE',
  'UPGRADE_ROLLBACK', 'RESET',
]);
/** A lifecycle event name. */
export type Event = z.infer<typeof Event>;
