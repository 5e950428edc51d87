import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh temporary directory removed when the current test finishes. */
export async function tempDir(prefix = 'vnfkit-ems-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A unique name: prefix + slug of the test title + random suffix. */
export function uniqueName(prefix: string, title = ''): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 30);
  return [prefix, slug, randomBytes(4).toString('hex')].filter(Boolean).join('-');
}

/** A VNFC-style hostname (`<name>-<digits>`), unique per call. */
export function uniqueHostname(title = 'vnfc'): string {
  const digits = String(Math.floor(Math.random() * 9_000_000) + 1_000_000);
  return `${uniqueName('emstest', title)}-${digits}`;
}
