import { sanitizeEnvName } from '@vnfkit/protocol';
import type { DependencyView } from '../internal/records.js';
import { envValue, type EnvMap } from './env-map.js';

/**
 * The dependency source type a CONFIGURE script names (§6.4): the part of the script string
 * before its first `_` (`server_configure.sh` → `server`), or undefined without a `_`.
 */
export function sourceTypeOf(script: string): string | undefined {
  const underscore = script.indexOf('_');
  return underscore < 0 ? undefined : script.slice(0, underscore);
}

/** The typed variables one CONFIGURE execution gets for one source VNFC. */
export interface TypedDependencyEnv {
  /** The source VNFC id (the key in `vnfcParameters[type].parameters`). */
  sourceVnfcId: string;
  /** `<type>_<key>` variables, sanitised; VNFC-level values override VNF-level ones. */
  env: EnvMap;
}

/**
 * For a CONFIGURE script typed `type`: one environment per source VNFC listed in
 * `dependency.vnfcParameters[type]` (sorted by VNFC id, for a deterministic order), or
 * undefined when the dependency does not list that type — then the script is untyped.
 */
export function typedDependencyEnvs(dependency: DependencyView | null | undefined, type: string): TypedDependencyEnv[] | undefined {
  const vnfcLevel = dependency?.vnfcParameters?.[type];
  if (vnfcLevel === null || vnfcLevel === undefined || !Object.hasOwn(dependency?.vnfcParameters ?? {}, type)) {
    return undefined;
  }
  const vnfLevel = Object.hasOwn(dependency?.parameters ?? {}, type) ? dependency?.parameters?.[type] : undefined;
  const perVnfc = vnfcLevel.parameters ?? {};
  return Object.keys(perVnfc)
    .sort()
    .map((sourceVnfcId) => {
      const env = new Map<string, string>();
      const put = (key: string, raw: unknown): void => {
        const value = envValue(raw);
        const name = sanitizeEnvName(`${type}_${key}`);
        if (value === undefined) env.delete(name);
        else env.set(name, value);
      };
      for (const [key, value] of Object.entries(vnfLevel?.parameters ?? {})) put(key, value);
      for (const [key, value] of Object.entries(perVnfc[sourceVnfcId]?.parameters ?? {})) put(key, value);
      return { sourceVnfcId, env: Object.fromEntries(env) };
    });
}

/**
 * The `SAVE_VNFR_DEPENDENCY` payload: the whole dependency as a (pretty-printed) JSON string,
 * which the agent writes to `ob_parameters.json/.yaml/.sh`.
 */
export function dependencyPayload(dependency: DependencyView | null | undefined): string {
  return JSON.stringify(dependency ?? {}, null, 2);
}
