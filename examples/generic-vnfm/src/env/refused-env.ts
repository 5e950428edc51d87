import { VnfkitError, envNameRefusal, sanitizeEnvName } from '@vnfkit/protocol';
import type { ConfigurationView, DependencyView } from '../internal/records.js';

/** One environment variable name the VNFM would form, and where it comes from. */
export interface FormedEnvName {
  /** The variable name as the agent would get it (after `[^A-Za-z0-9_]` → `_` where the VNFM maps). */
  name: string;
  /** The descriptor field it comes from, for the error message: `configuration key "BASH_ENV"`. */
  origin: string;
}

/** A descriptor key the VNFM refuses because it would become such a variable. */
export interface RefusedEnvKey extends FormedEnvName {
  reason: string;
}

/** The parts of a VNFD the variable names of its scripts come from. */
export interface VnfdEnvView {
  name?: string | null;
  configurations?: ConfigurationView | null;
  provides?: readonly (string | null | undefined)[] | null;
  requires?: Record<string, { parameters?: readonly (string | null | undefined)[] | null } | null | undefined> | null;
  vdu?: ReadonlyArray<{
    vnfc?: ReadonlyArray<{ connection_point?: ReadonlyArray<{ virtual_link_reference?: string | null }> | null }> | null;
  }> | null;
}

const quoted = (text: string): string => JSON.stringify(text);

function confKeys(configuration: ConfigurationView | null | undefined): string[] {
  return (configuration?.configurationParameters ?? []).flatMap((p) => (typeof p.confKey === 'string' ? [p.confKey] : []));
}

/**
 * The variable names a VNFD's scripts would get, each with its origin, as `env/*.ts` form them:
 * `configurations` and `provides` keys (sanitised, §6.1); for every `requires` entry
 * `<name>_<parameter>` (sanitised, the way the CONFIGURE variables of the dependency are named — the
 * NFVO keys them by the source's type, usually its name); network names of the VNFCs' connection
 * points as `<net>` and `<net>_floatingIp` (sanitised) and `removing_<net>…` (not sanitised, §6.3).
 */
export function descriptorEnvNames(vnfd: VnfdEnvView): FormedEnvName[] {
  const names: FormedEnvName[] = [];
  for (const key of confKeys(vnfd.configurations)) names.push({ name: sanitizeEnvName(key), origin: `configuration key ${quoted(key)}` });
  for (const key of vnfd.provides ?? []) {
    if (typeof key === 'string') names.push({ name: sanitizeEnvName(key), origin: `provides key ${quoted(key)}` });
  }
  for (const [source, entry] of Object.entries(vnfd.requires ?? {})) {
    for (const parameter of entry?.parameters ?? []) {
      if (typeof parameter !== 'string') continue;
      names.push({
        name: sanitizeEnvName(`${source}_${parameter}`),
        origin: `requires parameter ${quoted(parameter)} of ${quoted(source)}`,
      });
    }
  }
  const networks = new Set<string>();
  for (const vdu of vnfd.vdu ?? []) {
    for (const vnfc of vdu.vnfc ?? []) {
      for (const point of vnfc.connection_point ?? []) {
        if (typeof point.virtual_link_reference === 'string') networks.add(point.virtual_link_reference);
      }
    }
  }
  for (const net of networks) {
    const origin = `network ${quoted(net)}`;
    names.push({ name: sanitizeEnvName(net), origin }, { name: sanitizeEnvName(`${net}_floatingIp`), origin });
    names.push({ name: `removing_${net}`, origin }, { name: `removing_${net}_floatingIp`, origin });
  }
  return names;
}

/** The base-environment names of a VNFR (`configurations` and `provides` keys, sanitised). */
export function recordEnvNames(vnfr: { configurations?: ConfigurationView | null; provides?: ConfigurationView | null }): FormedEnvName[] {
  return [
    ...confKeys(vnfr.configurations).map((key) => ({ name: sanitizeEnvName(key), origin: `configuration key ${quoted(key)}` })),
    ...confKeys(vnfr.provides).map((key) => ({ name: sanitizeEnvName(key), origin: `provides key ${quoted(key)}` })),
  ];
}

/**
 * The names CONFIGURE scripts get from a dependency (`typedDependencyEnvs`): for every source type
 * in `vnfcParameters`, `<type>_<key>` (sanitised) of its VNF-level and VNFC-level parameters.
 */
export function dependencyEnvNames(dependency: DependencyView | null | undefined): FormedEnvName[] {
  const names: FormedEnvName[] = [];
  const vnfcParameters = dependency?.vnfcParameters ?? {};
  for (const type of Object.keys(vnfcParameters)) {
    const keys = new Set<string>();
    if (Object.hasOwn(dependency?.parameters ?? {}, type)) {
      for (const key of Object.keys(dependency?.parameters?.[type]?.parameters ?? {})) keys.add(key);
    }
    for (const vnfc of Object.values(vnfcParameters[type]?.parameters ?? {})) {
      for (const key of Object.keys(vnfc?.parameters ?? {})) keys.add(key);
    }
    for (const key of keys)
      names.push({ name: sanitizeEnvName(`${type}_${key}`), origin: `dependency parameter ${quoted(key)} of type ${quoted(type)}` });
  }
  return names;
}

/** The refused ones among `names` (the rule of `@vnfkit/protocol`'s `envNameRefusal`), minus `allow`. */
export function refusedEnvKeys(names: readonly FormedEnvName[], allow: Iterable<string> = []): RefusedEnvKey[] {
  const allowed = new Set(allow);
  const refused: RefusedEnvKey[] = [];
  const seen = new Set<string>();
  for (const formed of names) {
    const key = `${formed.name}\0${formed.origin}`;
    if (seen.has(key) || allowed.has(formed.name)) continue;
    seen.add(key);
    const reason = envNameRefusal(formed.name);
    if (reason !== undefined) refused.push({ ...formed, reason });
  }
  return refused;
}

/**
 * Thrown when a descriptor or dependency would give scripts an environment variable that the agents
 * refuse (issue #15): the message names each key, the variable it becomes, the VNFD or VNFR, and why.
 */
export class RefusedEnvKeyError extends VnfkitError {
  readonly refused: readonly RefusedEnvKey[];

  constructor(what: string, refused: readonly RefusedEnvKey[]) {
    const list = refused.map((r) => `${r.origin} (${r.reason})`).join('; ');
    super(
      'CONFIG',
      `${what}: ${list} (the Generic VNFM's ems.allowEnv / VNFKIT_ALLOW_ENV and the agents' allow_env can let named variables through)`,
    );
    this.refused = refused;
  }
}

/** Throws a {@link RefusedEnvKeyError} when any of `names` is refused. */
export function assertEnvNamesAllowed(what: string, names: readonly FormedEnvName[], allow: Iterable<string> = []): void {
  const refused = refusedEnvKeys(names, allow);
  if (refused.length > 0) throw new RefusedEnvKeyError(what, refused);
}
