// What a deployment run deploys: the scripts of every VNFR (the workload) and the NSD of N such VNFRs.
import type { Event, NetworkServiceDescriptor } from '@vnfkit/protocol';

/** The scripts of every VNFR: the same list for each event, all with the same content. */
export interface Workload {
  events: readonly Event[];
  scripts: readonly string[];
  /** The content of every script. */
  content: string;
  /** What one script takes, ms (for the model of what bounds a run). @default 0 */
  scriptMs?: number;
}

/** INSTANTIATE, CONFIGURE and START with two no-op scripts each: what `pnpm bench` deploys by default. */
export const NOOP_WORKLOAD: Workload = {
  events: ['INSTANTIATE', 'CONFIGURE', 'START'],
  scripts: ['noop-1.sh', 'noop-2.sh'],
  content: '#!/bin/bash\n:\n',
};

/** The virtual link of every VNFC (and the dependency parameter between VNFRs). */
export const NETWORK = 'private';

/** N VNFRs named `<prefix>1` … `<prefix>N` (`prefix` @default 'v'; their VMs are `<name>-1` …, see PoolVim). */
export function nsd(input: { vnfrs: number; type: string; vnfcs: number; workload: Workload; prefix?: string }): NetworkServiceDescriptor {
  const prefix = input.prefix ?? 'v';
  const names = Array.from({ length: input.vnfrs }, (_v, i) => `${prefix}${i + 1}`);
  return {
    name: prefix === 'v' ? 'bench-scale' : `bench-scale-${prefix}`,
    vnfd: names.map((name) => ({
      name,
      type: input.type,
      endpoint: input.type,
      lifecycle_event: input.workload.events.map((event) => ({ event, lifecycle_events: [...input.workload.scripts] })),
      vdu: [
        {
          name: 'vdu',
          vm_image: ['bench'],
          scale_in_out: input.vnfcs,
          vnfc: Array.from({ length: input.vnfcs }, () => ({ connection_point: [{ virtual_link_reference: NETWORK }] })),
        },
      ],
    })),
    // A ring (v1 ← v2 ← … ← vN ← v1) so that every VNFR is a dependency target and gets MODIFY → CONFIGURE.
    vnf_dependency: names.map((target, i) => ({
      source: { name: names[(i + 1) % names.length] ?? target },
      target: { name: target },
      parameters: [NETWORK],
    })),
  };
}
