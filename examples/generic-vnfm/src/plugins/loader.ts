import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginLoadError, pluginProblem } from './plugin.js';
import type { LifecyclePlugin } from './types.js';

/** Files of a plug-in directory that are loaded (declaration files are not). */
const MODULE_FILE = /^(?!.*\.d\.[cm]?ts$).*\.(?:m?js|cjs|m?ts)$/;

/** Input of {@link loadLifecyclePlugins}. */
export interface LoadPluginsOptions {
  /** Relative paths are resolved against it. @default process.cwd() */
  baseDir?: string;
}

const isPath = (spec: string): boolean => spec.startsWith('.') || isAbsolute(spec);

/** The plug-ins a module exports: its default export (one plug-in or a list), else its `plugins` or `plugin` export. */
function pluginsOf(spec: string, module: Record<string, unknown>): LifecyclePlugin[] {
  const exported = module['default'] ?? module['plugins'] ?? module['plugin'];
  if (exported === undefined)
    throw new PluginLoadError(spec, 'the module has no default export (a plug-in from defineLifecyclePlugin, or a list of them)');
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) throw new PluginLoadError(spec, 'the module exports an empty list');
  for (const item of list) {
    const problem = pluginProblem(item);
    if (problem !== undefined) throw new PluginLoadError(spec, `its export is not a lifecycle plug-in: ${problem}`);
  }
  return list as LifecyclePlugin[];
}

async function importOne(spec: string, target: string): Promise<LifecyclePlugin[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(spec, error instanceof Error ? error.message : String(error), error);
  }
  return pluginsOf(spec, module);
}

/**
 * Loads the plug-ins of the configuration's `plugins` list, in order: each entry is a module file (relative to
 * `baseDir`, or absolute), a directory (every `.js`/`.mjs`/`.ts` file in it, by name), or a package name
 * (resolved from the VNFM). TypeScript files load only when the VNFM runs under a TypeScript loader (tsx).
 * Any failure — missing file, the module throws, an export that is not a plug-in, two plug-ins with one
 * name — throws a {@link PluginLoadError} naming the entry: the VNFM must not start without its plug-ins.
 */
export async function loadLifecyclePlugins(specs: readonly string[], options: LoadPluginsOptions = {}): Promise<LifecyclePlugin[]> {
  const baseDir = options.baseDir ?? process.cwd();
  const loaded: LifecyclePlugin[] = [];
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') continue;
    if (!isPath(spec)) {
      loaded.push(...(await importOne(spec, spec)));
      continue;
    }
    const path = resolve(baseDir, spec);
    const info = await stat(path).catch((error: unknown) => {
      throw new PluginLoadError(spec, `${path} does not exist`, error);
    });
    if (info.isDirectory()) {
      const files = (await readdir(path)).filter((file) => MODULE_FILE.test(file)).sort();
      if (files.length === 0) throw new PluginLoadError(spec, `the directory ${path} has no .js, .mjs or .ts file`);
      for (const file of files) loaded.push(...(await importOne(join(spec, file), pathToFileURL(join(path, file)).href)));
    } else {
      loaded.push(...(await importOne(spec, pathToFileURL(path).href)));
    }
  }
  const seen = new Set<string>();
  for (const plugin of loaded) {
    if (seen.has(plugin.name)) throw new PluginLoadError(plugin.name, 'two plug-ins have this name');
    seen.add(plugin.name);
  }
  return loaded;
}
