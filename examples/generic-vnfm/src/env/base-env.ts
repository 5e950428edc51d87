import { sanitizeEnvName } from '@vnfkit/protocol';
import type { ConfigurationView, VnfrView } from '../internal/records.js';
import { envValue, type EnvMap } from './env-map.js';

function putParameters(target: Map<string, string>, configuration: ConfigurationView | null | undefined): void {
  for (const parameter of configuration?.configurationParameters ?? []) {
    if (typeof parameter.confKey !== 'string') continue;
    const value = envValue(parameter.value);
    const name = sanitizeEnvName(parameter.confKey);
    // A later key with an absent value must not resurrect nothing over a real value, but it
    // must still override: upstream's HashMap.put of null deletes the earlier value on the wire.
    if (value === undefined) target.delete(name);
    else target.set(name, value);
  }
}

/**
 * The base environment of a VNFR (§6.1): every `provides` key with a value, then every
 * `configurations` parameter `confKey` → `value` (overriding), names sanitised, values untouched.
 *
 * Unlike upstream, a VNFR that lacks one of the two blocks still gets the other one's variables.
 */
export function buildBaseEnv(vnfr: VnfrView): EnvMap {
  const env = new Map<string, string>();
  putParameters(env, vnfr.provides);
  putParameters(env, vnfr.configurations);
  return Object.fromEntries(env);
}
