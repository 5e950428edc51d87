import { z } from 'zod';

/** VNFR/NSR status, serialised by name. */
export const Status = z.enum(['ERROR', 'NULL', 'INITIALIZED', 'INACTIVE', 'SCALING', 'ACTIVE', 'TERMINATED', 'RESUMING']);
/** VNFR/NSR status. */
export type Status = z.infer<typeof Status>;

const ORDER: Record<Status, number> = {
  ERROR: 0,
  NULL: 1,
  INITIALIZED: 2,
  INACTIVE: 3,
  SCALING: 4,
  ACTIVE: 5,
  TERMINATED: 6,
  RESUMING: 7,
};

/**
 * NSR status from its VNFRs' statuses, as the NFVO's `VnfmManager.findAndSetNSRStatus` computes it (openbaton/NFVO
 * 6.0.0, VnfmManager.java:222, 265-277): starting from TERMINATED, the lowest one below it, except that any
 * TERMINATED VNFR makes it TERMINATED. So RESUMING, ordered above TERMINATED, never shows, and no VNFRs at all
 * give TERMINATED (the NFVO only computes it once every VNFD has its VNFR).
 */
export function lowestStatus(statuses: readonly Status[]): Status {
  if (statuses.includes('TERMINATED')) return 'TERMINATED';
  return statuses.reduce<Status>((low, s) => (ORDER[s] < ORDER[low] ? s : low), 'TERMINATED');
}

/** Lifecycle event names (`Event` enum). */
export const Event = z.enum([
  'GRANTED',
  'ALLOCATE',
  'SCALE',
  'RELEASE',
  'ERROR',
  'INSTANTIATE',
  'TERMINATE',
  'CONFIGURE',
  'START',
  'STOP',
  'HEAL',
  'SCALE_OUT',
  'SCALE_IN',
  'SCALE_UP',
  'SCALE_DOWN',
  'UPDATE',
  'UPDATE_ROLLBACK',
  'UPGRADE',
  'UPGRADE_ROLLBACK',
  'RESET',
]);
/** A lifecycle event name. */
export type Event = z.infer<typeof Event>;
