// `pnpm test` runs every vitest project but the soak and cluster ones, which scripts/test runs afterwards on their
// own (the soak suite restarts the broker; both must not share the machine with the other tests). Negated
// `--project '!soak' --project '!cluster'` filters are OR-ed by vitest — each one lets the other project in — so
// for a while `pnpm test` ran both, at full size, beside everything else; the script now names its projects.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

it('pnpm test names every vitest project except soak and cluster, and nothing else', () => {
  const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8');
  const projects = [...config.matchAll(/\bname: '([^']+)'/g)].map((m) => m[1]);
  expect(projects).toEqual(expect.arrayContaining(['protocol', 'soak', 'cluster']));
  const script =
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['test'] ?? '';
  const named = [...script.matchAll(/--project (\S+)/g)].map((m) => m[1]);
  expect(named.sort()).toEqual(projects.filter((p) => p !== 'soak' && p !== 'cluster').sort());
});
