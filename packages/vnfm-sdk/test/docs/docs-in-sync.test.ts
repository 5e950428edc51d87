// The code the docs show is the code the tests run: each doc's fenced block equals the tested file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const docs = join(here, '..', '..', '..', '..', 'docs');

/** The first ```ts block of a doc whose first line names the file. */
function block(doc: string, firstLine: string): string | undefined {
  const text = readFileSync(join(docs, doc), 'utf8');
  for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) if (match[1]?.startsWith(firstLine)) return match[1];
  return undefined;
}

it.each([
  ['writing-a-vnfm.md', 'hello-vnfm.ts'],
  ['testing-your-vnfm.md', 'testing-your-vnfm.test.ts'],
])('%s shows %s exactly', (doc, file) => {
  const source = readFileSync(join(here, file), 'utf8');
  const firstLine = source.split('\n')[0] ?? '';
  expect(block(doc, firstLine), `${doc} has no ts block starting with "${firstLine}"`).toBe(source);
});
