import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';

/** The current test's title as a short slug (`''` outside a test). */
export function testSlug(maxLength = 24): string {
  let title: string | undefined;
  try {
    title = expect.getState().currentTestName;
  } catch {
    title = undefined;
  }
  if (!title) return '';
  const last = title.split('>').pop() ?? title;
  return last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
}

/**
 * A broker-safe name unique to this run: `vnfkit-test-<prefix>-<test title slug>-<random>`, so parallel
 * and crashed runs never collide and a leaked queue says which test made it.
 */
export function uniqueName(prefix: string): string {
  const slug = testSlug();
  return ['vnfkit-test', prefix, slug, randomBytes(4).toString('hex')].filter((part) => part !== '').join('-');
}
