/** Size of the soak suite: `full` (default, `pnpm test:soak`) or `ci` (reduced, run by scripts/test). */
export type SoakScale = 'full' | 'ci';

/** The scale from `VNFKIT_SOAK_SCALE`; an unknown value fails loudly instead of silently shrinking the suite. */
export function soakScale(): SoakScale {
  const value = process.env.VNFKIT_SOAK_SCALE ?? 'full';
  if (value !== 'full' && value !== 'ci') throw new Error(`VNFKIT_SOAK_SCALE must be "full" or "ci", not ${JSON.stringify(value)}`);
  return value;
}

/** Picks the size for the current scale. */
export function bySoakScale<T>(sizes: Record<SoakScale, T>): T {
  return sizes[soakScale()];
}
