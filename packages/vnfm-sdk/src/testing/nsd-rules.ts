// What the Open Baton 6.0.0 NFVO checks before it deploys an NSD or scales a VNFR, as pure functions for
// the NfvoSimulator. Messages are the NFVO's own, so a test can match them against a real NFVO's answers.
import { Event, NetworkServiceDescriptor, type VNFDependency, type VirtualDeploymentUnit } from '@vnfkit/protocol';

/** Thrown when the NFVO would refuse an NSD or an operation (its NetworkServiceIntegrityException / NotFoundException / WrongStatusException). */
export class NfvoRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NfvoRefusedError';
  }
}

const EVENTS: ReadonlySet<string> = new Set(Event.options);

const nameOf = (ref: string | { name: string }): string => (typeof ref === 'string' ? ref : ref.name);

/** Gson reads a member set to `null` as a member left unset; a `null` element of an array stays. */
function dropNullMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullMembers);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNullMembers(v)]),
    );
  }
  return value;
}

/**
 * The lifecycle events of each VNFD must name an `Event`: Gson maps an unknown name to null, and the NFVO refuses
 * the NSD on upload (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/utils/NSDUtils.java
 * `checkIntegrityLifecycleEvents` L747-763; the names are the `Event` enum,
 * NFVO/catalogue/src/main/java/org/openbaton/catalogue/mano/common/Event.java L20-42).
 * Takes the NSD as uploaded (it may not match the schema yet).
 */
export function checkLifecycleEvents(nsd: unknown): void {
  const vnfds = (nsd as { vnfd?: unknown } | null)?.vnfd;
  if (!Array.isArray(vnfds)) return;
  for (const vnfd of vnfds as unknown[]) {
    if (vnfd === null || typeof vnfd !== 'object') continue;
    const { name, lifecycle_event: events } = vnfd as { name?: unknown; lifecycle_event?: unknown };
    if (!Array.isArray(events)) continue;
    const shown = typeof name === 'string' ? name : String(name);
    for (const event of events as unknown[]) {
      if (event === null || event === undefined) throw new NfvoRefusedError(`LifecycleEvent in VNFD ${shown} is null`);
      const value = (event as { event?: unknown }).event;
      if (typeof value !== 'string' || !EVENTS.has(value))
        throw new NfvoRefusedError(`Event in one LifecycleEvent of VNFD ${shown} does not exist`);
    }
  }
}

/**
 * The NFVO's `checkIntegrity(NSD)` refuses a `vnf_dependency` without parameters
 * (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/utils/NSDUtils.java L475-479).
 */
export function checkDependencyParameters(nsd: NetworkServiceDescriptor): void {
  for (const dependency of nsd.vnf_dependency ?? []) {
    if (dependency.parameters === undefined || dependency.parameters.length === 0) {
      throw new NfvoRefusedError('Not found any parameters in one of the VNF dependencies defined');
    }
  }
}

/**
 * The dependencies a VNFD's `requires` map stands for (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/utils/NSDUtils.java
 * `getVNFDependenciesFromRequires` L366-399): each key is the name of a SOURCE VNFD of the NSD (else the NSD is
 * refused), the target is the VNFD holding the map, the parameters are the entry's; entries without parameters are skipped.
 */
export function dependenciesFromRequires(nsd: NetworkServiceDescriptor): VNFDependency[] {
  const names = new Set(nsd.vnfd.map((v) => v.name));
  const out: VNFDependency[] = [];
  for (const vnfd of nsd.vnfd) {
    for (const [source, wanted] of Object.entries(vnfd.requires ?? {})) {
      if (!names.has(source)) {
        throw new NfvoRefusedError(
          `VNFD source name ${source} from the requires field in the VNFD ${vnfd.name ?? 'null'} was not found in the NSD.`,
        );
      }
      // A JSON NSD may hold `null` here (Gson: no parameters).
      const parameters = (wanted as { parameters?: string[] | null } | null)?.parameters ?? [];
      if (parameters.length === 0) continue;
      out.push({ source, target: vnfd.name ?? '', parameters: [...parameters] });
    }
  }
  return out;
}

/**
 * All dependencies of an NSD as the NFVO keeps them: `vnf_dependency` plus those of the `requires` maps, one per
 * (source, target) with the union of their parameters (NSDUtils.java L357-364, L299).
 */
export function mergedDependencies(nsd: NetworkServiceDescriptor): VNFDependency[] {
  const merged = new Map<string, VNFDependency & { parameters: string[] }>();
  for (const dependency of [...(nsd.vnf_dependency ?? []), ...dependenciesFromRequires(nsd)]) {
    const source = nameOf(dependency.source);
    const target = nameOf(dependency.target);
    const key = JSON.stringify([source, target]);
    const entry = merged.get(key) ?? { source, target, parameters: [] };
    entry.parameters = [...new Set([...entry.parameters, ...(dependency.parameters ?? [])])];
    merged.set(key, entry);
  }
  return [...merged.values()];
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const at = (path: readonly PropertyKey[]): string =>
    path.reduce<string>(
      (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
      '',
    ) || '(root)';
  const shown = issues
    .slice(0, 3)
    .map((i) => `at ${at(i.path)}: ${i.message}`)
    .join('; ');
  return issues.length > 3 ? `${shown} (+${issues.length - 3} more)` : shown;
}

/**
 * Checks an NSD as the NFVO does on upload, in its order: lifecycle events (on the NSD as uploaded, read as Gson
 * reads it), the protocol schema, dependencies without parameters, `requires` sources. Returns the NSD read as
 * Gson reads it (null members dropped). @throws NfvoRefusedError
 */
export function validateNsd(input: unknown): NetworkServiceDescriptor {
  const raw = dropNullMembers(input);
  checkLifecycleEvents(raw);
  const parsed = NetworkServiceDescriptor.safeParse(raw);
  if (!parsed.success) {
    const name = (raw as { name?: unknown } | null)?.name;
    throw new NfvoRefusedError(
      `NSD ${typeof name === 'string' ? name : '(unnamed)'} is not a valid NetworkServiceDescriptor: ${describeIssues(parsed.error.issues)}`,
    );
  }
  checkDependencyParameters(parsed.data);
  dependenciesFromRequires(parsed.data);
  return parsed.data;
}

const isFull = (vdu: VirtualDeploymentUnit): boolean => (vdu.scale_in_out ?? 0) === (vdu.vnfc_instance ?? []).length;

/**
 * Refuses a scale-out of the chosen VDU when it already runs `scale_in_out` VNFC instances
 * (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/api/NetworkServiceRecordManagement.java L597-601;
 * `scale_in_out` is a Java `int`, 0 when unset, compared with `==`: an unset limit never matches).
 */
export function checkScaleOut(vdu: VirtualDeploymentUnit): void {
  if (isFull(vdu)) throw new NfvoRefusedError('The VirtualDeploymentUnit chosen has reached the maximum number of VNFCInstance');
}

/**
 * Refuses a scale-out without a chosen VDU when every VDU of the VNFR is full
 * (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/api/NetworkServiceRecordManagement.java L523-533).
 */
export function checkScaleOutAnyVdu(vdus: readonly VirtualDeploymentUnit[]): void {
  if (vdus.every(isFull)) throw new NfvoRefusedError('All VirtualDeploymentUnits have reached their maximum number of VNFCInstances');
}

/**
 * Refuses a scale-in that would remove the last VNFC instance of the VDU
 * (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/api/NetworkServiceRecordManagement.java L794-797, L838-841).
 */
export function checkScaleIn(vdu: VirtualDeploymentUnit): void {
  if ((vdu.vnfc_instance ?? []).length === 1)
    throw new NfvoRefusedError('The VirtualDeploymentUnit chosen has reached the minimum number of VNFCInstance');
}
