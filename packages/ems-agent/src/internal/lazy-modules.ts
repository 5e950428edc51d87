/**
 * The packages the daemon imports only on first use: the protocol's schemas (zod's classic build,
 * see wire.ts) and `execa` (CLONE_SCRIPTS). Most agents never need them, and start-up and idle RSS
 * matter more.
 *
 * The daemon build (tsup.config.ts) bundles each one alone into `dist/lazy/<name>.js` and points these
 * imports there, so an installed `dist/` needs no `node_modules`. `vnfkit-ems --check-config` loads
 * them all ({@link loadLazyModules}): a broken installation is reported by the check, not by the first
 * command that needs one of them.
 */
import type * as Execa from 'execa';
import type * as Protocol from '@vnfkit/protocol';
import { lazy } from './lazy.js';

export const loadProtocol: () => Promise<typeof Protocol> = lazy(() => import('@vnfkit/protocol'));
export const loadExeca: () => Promise<typeof Execa> = lazy(() => import('execa'));

const LAZY_MODULES: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
  ['@vnfkit/protocol', loadProtocol],
  ['execa', loadExeca],
];

/** Loads every lazily imported module; rejects with one message naming each module that fails to load. */
export async function loadLazyModules(): Promise<void> {
  const results = await Promise.allSettled(LAZY_MODULES.map(([, load]) => load()));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected'
      ? [`${LAZY_MODULES[index]?.[0]}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`]
      : [],
  );
  if (failures.length > 0) throw new Error(`cannot load ${failures.join('; ')}`);
}
