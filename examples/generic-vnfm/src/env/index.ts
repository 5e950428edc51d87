export { buildBaseEnv } from './base-env.js';
export { dependencyPayload, sourceTypeOf, typedDependencyEnvs } from './dependency-env.js';
export type { TypedDependencyEnv } from './dependency-env.js';
export { envValue, mergeEnv } from './env-map.js';
export type { EnvMap } from './env-map.js';
export { healEnv, removingEnv, vnfcEnv } from './vnfc-env.js';
export {
  RefusedEnvKeyError,
  assertEnvNamesAllowed,
  dependencyEnvNames,
  descriptorEnvNames,
  recordEnvNames,
  refusedEnvKeys,
} from './refused-env.js';
export type { FormedEnvName, RefusedEnvKey, VnfdEnvView } from './refused-env.js';
