import { z } from 'zod';

/** The events whose failures can be resumed (those the Generic VNFM runs scripts for). */
export const ResumableEvent = z.enum(['INSTANTIATE', 'CONFIGURE', 'START', 'STOP', 'TERMINATE', 'HEAL', 'UPDATE', 'ERROR', 'SCALE_IN']);
/** A resumable lifecycle event name. */
export type ResumableEvent = z.infer<typeof ResumableEvent>;

/** What is remembered about a failed lifecycle script, so that RESUME can continue from it. */
export const ScriptFailure = z.strictObject({
  vnfrId: z.string().min(1),
  vnfrName: z.string(),
  event: ResumableEvent,
  /** Index of the failed script in the event's ORIGINAL `lifecycle_events` list. */
  scriptIndex: z.number().int().nonnegative(),
  scriptName: z.string(),
  /** The VNFC whose script failed. */
  hostname: z.string(),
  /** ISO time of the failure. */
  at: z.string(),
  /** The VNFCs the failed operation ran on (absent: all VNFCs of the VNFR). */
  vnfcHostnames: z.array(z.string()).optional(),
  /** HEAL: the cause, so a resumed HEAL sees the same `cause`. */
  cause: z.string().optional(),
});
/** A remembered script failure. */
export type ScriptFailure = z.infer<typeof ScriptFailure>;

/**
 * Where the Generic VNFM keeps the last script failure of each VNFR. Behind an interface so
 * several VNFM replicas can share one (architecture principle 6).
 */
export interface ResumeStore {
  /** Remembers a failure, replacing any earlier one of the same VNFR. */
  record(failure: ScriptFailure): Promise<void>;
  /** The failure remembered for a VNFR, if any. */
  get(vnfrId: string): Promise<ScriptFailure | undefined>;
  /** Forgets a VNFR's failure (after a successful resume, or on terminate). Missing is fine. */
  clear(vnfrId: string): Promise<void>;
}

/** The NFVO action a resumed event is reported as (§8.3). */
export function resumedActionOf(event: ResumableEvent): string {
  switch (event) {
    case 'INSTANTIATE':
      return 'INSTANTIATE';
    case 'CONFIGURE':
      return 'MODIFY';
    case 'START':
      return 'START';
    case 'STOP':
      return 'STOP';
    case 'TERMINATE':
      return 'RELEASE_RESOURCES';
    case 'HEAL':
      return 'HEAL';
    case 'UPDATE':
      return 'UPDATE';
    case 'ERROR':
      return 'ERROR';
    case 'SCALE_IN':
      // Upstream cannot resume SCALE_IN (the SDK answers it with `null`); it is never recorded.
      return 'SCALE_IN';
  }
}
