/**
 * A module loaded on first use, its promise kept: `import()` of an already loaded module still
 * resolves the specifier again on every call (through any loader hooks), which showed up in the
 * per-command CPU of `SAVE_VNFR_DEPENDENCY`.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
