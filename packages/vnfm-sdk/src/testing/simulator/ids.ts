import { randomUUID } from 'node:crypto';

// Ids as the NFVO's persistence gives them: every entity gets an `id` and an `hbVersion` (JPA), maps do not.

/** A copy of `value` without any `id` or `hbVersion` (a template for a new entity). */
export function stripIds<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripIds) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'id' && k !== 'hbVersion')
        .map(([k, v]) => [k, stripIds(v)]),
    ) as T;
  return value;
}

/**
 * Fields that are Java `Map`s, not entities: they never get an `id`/`hbVersion` (their values may be entities, e.g.
 * the RequiresParameters of a VNFD's `requires`). A VNFR's `requires` is a Configuration entity (it has a name or
 * configurationParameters), so `requires` counts as a map only when every value is an object.
 */
const MAP_FIELDS: ReadonlySet<string> = new Set([
  'requires',
  'metadata',
  'extension',
  'vduVim',
  'vimInstances',
  'idType',
  'parameters',
  'vnfcParameters',
  'env',
]);
const isMapField = (key: string | undefined, o: Record<string, unknown>): boolean =>
  key !== undefined &&
  MAP_FIELDS.has(key) &&
  (key !== 'requires' || Object.values(o).every((v) => v !== null && typeof v === 'object' && !Array.isArray(v)));

/** A copy of `value` whose entities (at any depth) have an `id` and an `hbVersion`; those already set are kept. */
export function assignIds<T>(value: T, key?: string): T {
  if (Array.isArray(value)) return value.map((v) => assignIds(v)) as T;
  if (value !== null && typeof value === 'object') {
    const o = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, assignIds(v, k)])) as Record<string, unknown>;
    if (isMapField(key, o)) return o as T;
    // Other string-valued objects are maps too; entities are objects with object/array fields or a name.
    const looksLikeEntity =
      Object.values(o).some((v) => typeof v !== 'string') || 'name' in o || 'confKey' in o || Object.keys(o).length === 0;
    if (looksLikeEntity && o['id'] === undefined) o['id'] = randomUUID();
    if (looksLikeEntity && o['hbVersion'] === undefined) o['hbVersion'] = 0;
    return o as T;
  }
  return value;
}
