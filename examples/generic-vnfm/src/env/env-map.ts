/** An environment handed to one script: variable name → value. */
export type EnvMap = Readonly<Record<string, string>>;

/**
 * Turns a record value into an environment value: strings pass untouched, numbers and booleans
 * become their text, anything else (null, missing, objects) means "no variable" — upstream's Gson
 * drops null map values, so an unfilled `provides` key never reaches the script.
 */
export function envValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/**
 * Merges layers left to right (later layers win) into a plain object. A `Map` is used while
 * merging and `Object.fromEntries` at the end so that a variable named `__proto__` stays an
 * ordinary variable instead of touching the object's prototype.
 */
export function mergeEnv(...layers: ReadonlyArray<EnvMap | ReadonlyMap<string, string>>): EnvMap {
  const merged = new Map<string, string>();
  for (const layer of layers) {
    const entries = layer instanceof Map ? layer.entries() : Object.entries(layer as EnvMap);
    for (const [name, value] of entries) merged.set(name, value);
  }
  return Object.fromEntries(merged);
}
