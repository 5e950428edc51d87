import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Deep copy with object keys sorted, so equality ignores key order (JSON objects are unordered). */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

interface MessageFixtures {
  nfvo: Record<string, Record<string, unknown>>;
  vnfm: Record<string, Record<string, unknown>>;
  ems: Record<string, Record<string, unknown>>;
  manager: Record<string, Record<string, unknown>>;
  credentials: Record<string, unknown>;
}

/** The realistic message fixtures written from the wire references. */
export const messages = JSON.parse(readFileSync(join(fixtures, 'messages', 'messages.json'), 'utf8')) as MessageFixtures;

/** The Open Baton sample descriptors, by file name. */
export function samples(): [string, unknown][] {
  const dir = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'openbaton-samples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown]);
}

/** JSON round trip through bytes. */
export function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
