import { allVnfcs } from '@vnfkit/protocol';
import type { NetworkServiceDescriptor, VNFCInstance, VNFRecordDependency, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { mergedDependencies } from './nsd-rules.js';

type Vnfr = VirtualNetworkFunctionRecord;

const nameOf = (ref: string | { name: string }): string => (typeof ref === 'string' ? ref : ref.name);

/** The requested parameter names of each (target, source) pair of an NSD. */
export interface DependencyPlan {
  target: string;
  /** source VNFD name → requested keys */
  sources: Map<string, string[]>;
}

/**
 * Groups an NSD's dependencies by target VNFD name: `vnf_dependency` entries plus each VNFD's `requires` map, read
 * with the NFVO's rules ({@link mergedDependencies}: a `requires` key is a SOURCE VNFD name, entries without
 * parameters are skipped). @throws NfvoRefusedError for a `requires` key that names no VNFD of the NSD
 */
export function planDependencies(nsd: NetworkServiceDescriptor): DependencyPlan[] {
  const byTarget = new Map<string, DependencyPlan>();
  for (const dep of mergedDependencies(nsd)) {
    const target = nameOf(dep.target);
    const source = nameOf(dep.source);
    const plan = byTarget.get(target) ?? { target, sources: new Map<string, string[]>() };
    plan.sources.set(source, [...new Set([...(plan.sources.get(source) ?? []), ...(dep.parameters ?? [])])]);
    byTarget.set(target, plan);
  }
  return [...byTarget.values()];
}

/** VNFC-level values of one source VNFC for the requested keys: `<net>`, `<net>_floatingIp`, `hostname`. */
export function vnfcValues(vnfc: VNFCInstance, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (key === 'hostname' && vnfc.hostname !== undefined) out[key] = vnfc.hostname;
    const ip = vnfc.ips?.find((i) => i.netName === key);
    if (ip?.ip !== undefined) out[key] = ip.ip;
    const fip = vnfc.floatingIps?.find((i) => `${i.netName ?? ''}_floatingIp` === key);
    if (fip?.ip !== undefined) out[key] = fip.ip;
  }
  return out;
}

/** VNF-level values of a source for the requested keys, from its `provides` and `configurations` (NFVO rule). */
export function vnfValues(source: Vnfr, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const params = [...(source.provides?.configurationParameters ?? []), ...(source.configurations?.configurationParameters ?? [])];
  for (const key of keys) {
    const hit = params.find((p) => p.confKey === key && p.value !== undefined);
    out[key] = hit?.value ?? '';
  }
  return out;
}

/**
 * The VNFRecordDependency the NFVO sends a target: for each source, VNF-level parameters and per-VNFC
 * parameters keyed by the source VNFC-instance id. `onlyVnfcs` restricts to new VNFCs (after scale-out/heal).
 */
export function buildDependency(input: {
  plan: DependencyPlan;
  sources: Vnfr[];
  onlyVnfcs?: readonly VNFCInstance[];
}): VNFRecordDependency {
  const dependency: VNFRecordDependency = { target: input.plan.target, idType: {}, parameters: {}, vnfcParameters: {} };
  for (const source of input.sources) {
    const keys = input.plan.sources.get(source.name ?? '') ?? [];
    const type = source.type ?? source.name ?? '';
    dependency.idType![source.name ?? ''] = type;
    dependency.parameters![type] = { parameters: vnfValues(source, keys) };
    const vnfcs = input.onlyVnfcs ?? allVnfcs(source);
    const perVnfc: Record<string, { parameters: Record<string, string> }> = {};
    for (const vnfc of vnfcs) perVnfc[vnfc.id ?? vnfc.hostname ?? ''] = { parameters: vnfcValues(vnfc, keys) };
    dependency.vnfcParameters![type] = { parameters: perVnfc };
  }
  return dependency;
}
