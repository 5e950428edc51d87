import { sanitizeEnvName } from '@vnfkit/protocol';
import type { VnfcView } from '../internal/records.js';
import type { EnvMap } from './env-map.js';

/**
 * The per-VNFC "out-of-the-box" variables (§6.2): `<net>` = private IP on that network,
 * `<net>_floatingIp` = floating IP, `hostname`; names sanitised. Computed fresh for every
 * VNFC, so — unlike upstream — a configuration key that happens to share a name is not lost
 * for the VNFCs after the first one.
 */
export function vnfcEnv(vnfc: VnfcView): EnvMap {
  const env = new Map<string, string>();
  for (const ip of vnfc.ips ?? []) {
    if (typeof ip.netName === 'string' && typeof ip.ip === 'string') env.set(sanitizeEnvName(ip.netName), ip.ip);
  }
  for (const ip of vnfc.floatingIps ?? []) {
    if (typeof ip.netName === 'string' && typeof ip.ip === 'string') {
      env.set(sanitizeEnvName(`${ip.netName}_floatingIp`), ip.ip);
    }
  }
  if (typeof vnfc.hostname === 'string') env.set('hostname', vnfc.hostname);
  return Object.fromEntries(env);
}

/**
 * The SCALE_IN variables describing the VNFC being removed from a dependency source (§6.3):
 * `removing_<net>`, `removing_<net>_floatingIp`, `removing_hostname`. The names are NOT
 * sanitised, exactly as upstream, so scripts written for Open Baton keep working (a hyphenated
 * network name yields a variable bash cannot reference; the value is still in the environment).
 */
export function removingEnv(removed: VnfcView): EnvMap {
  const env = new Map<string, string>();
  for (const ip of removed.ips ?? []) {
    if (typeof ip.netName === 'string' && typeof ip.ip === 'string') env.set(`removing_${ip.netName}`, ip.ip);
  }
  for (const ip of removed.floatingIps ?? []) {
    if (typeof ip.netName === 'string' && typeof ip.ip === 'string') {
      env.set(`removing_${ip.netName}_floatingIp`, ip.ip);
    }
  }
  if (typeof removed.hostname === 'string') env.set('removing_hostname', removed.hostname);
  return Object.fromEntries(env);
}

/** The HEAL variable (§6.3): `cause` = the cause string from the NFVO. */
export function healEnv(cause: string): EnvMap {
  return { cause };
}
