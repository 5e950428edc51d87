import { ConfigError } from '@vnfkit/protocol';
import type { AroundHooks, LifecyclePlugin } from './types.js';

const HOOKS: ReadonlyArray<keyof AroundHooks> = [
  'instantiate',
  'configure',
  'start',
  'stop',
  'scaleOut',
  'scaleIn',
  'heal',
  'terminate',
  'update',
];

/** Why `value` is not a {@link LifecyclePlugin}, or `undefined` when it is one. */
export function pluginProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const plugin = value as Partial<Record<keyof LifecyclePlugin, unknown>>;
  if (typeof plugin.name !== 'string' || plugin.name.trim() === '') return 'no name';
  const serves = plugin.serves as { types?: unknown; vnfdNames?: unknown } | undefined;
  if (typeof serves !== 'object' || serves === null) return `plug-in "${plugin.name}" has no "serves"`;
  const lists = [serves.types, serves.vnfdNames];
  if (lists.some((list) => list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '')))) {
    return `plug-in "${plugin.name}": serves.types and serves.vnfdNames must be lists of non-empty strings`;
  }
  if (lists.every((list) => list === undefined || (list as unknown[]).length === 0))
    return `plug-in "${plugin.name}" serves no VNF type or VNFD name`;
  const around = plugin.around;
  if (around !== undefined) {
    if (typeof around !== 'object' || around === null) return `plug-in "${plugin.name}": "around" must be an object`;
    for (const key of Object.keys(around)) {
      if (!HOOKS.includes(key as keyof AroundHooks))
        return `plug-in "${plugin.name}": unknown hook around.${key} (known: ${HOOKS.join(', ')})`;
      if (typeof (around as Record<string, unknown>)[key] !== 'function')
        return `plug-in "${plugin.name}": around.${key} is not a function`;
    }
  }
  if (plugin.chooseScaleIn !== undefined && typeof plugin.chooseScaleIn !== 'function')
    return `plug-in "${plugin.name}": chooseScaleIn is not a function`;
  return undefined;
}

/**
 * Declares a lifecycle plug-in: returns it unchanged after checking its shape (throws `ConfigError` on a
 * missing name, nothing served, an unknown hook). The module's default export is what the loader takes.
 */
export function defineLifecyclePlugin<P extends LifecyclePlugin>(plugin: P): P {
  const problem = pluginProblem(plugin);
  if (problem !== undefined) throw new ConfigError(`invalid lifecycle plug-in: ${problem}`);
  return plugin;
}

/** Whether `plugin` serves the VNFR: its `type` in `serves.types` or its name (the VNFD's) in `serves.vnfdNames`. */
export function servesVnfr(plugin: LifecyclePlugin, vnfr: { type?: string | null; name?: string | null }): boolean {
  return (
    (typeof vnfr.type === 'string' && (plugin.serves.types ?? []).includes(vnfr.type)) ||
    (typeof vnfr.name === 'string' && (plugin.serves.vnfdNames ?? []).includes(vnfr.name))
  );
}

/**
 * An operation failed in a lifecycle plug-in (its hook threw, called `ctx.fail`, or chose an unknown VNFC). The
 * message names the plug-in, the event and the VNFR; the NFVO gets it with the ERROR reply. Failures of the
 * generic flow a hook ran through `next()` are not wrapped: they stay what they are (and resumable).
 */
export class LifecyclePluginError extends Error {
  readonly code = 'LIFECYCLE_PLUGIN_FAILED';
  readonly plugin: string;
  readonly event: string;
  readonly vnfrName: string;

  constructor(details: { plugin: string; event: string; vnfrName: string; message: string; cause?: unknown }) {
    super(
      `lifecycle plug-in "${details.plugin}" failed ${details.event} of VNFR ${details.vnfrName}: ${details.message}`,
      details.cause !== undefined ? { cause: details.cause } : undefined,
    );
    this.plugin = details.plugin;
    this.event = details.event;
    this.vnfrName = details.vnfrName;
  }
}
Object.defineProperty(LifecyclePluginError.prototype, 'name', { value: 'LifecyclePluginError' });

/** A configured plug-in module could not be loaded: the VNFM does not start. */
export class PluginLoadError extends ConfigError {
  readonly spec: string;

  constructor(spec: string, reason: string, cause?: unknown) {
    super(`cannot load lifecycle plug-in ${JSON.stringify(spec)}: ${reason}`, cause !== undefined ? { cause } : {});
    this.spec = spec;
  }
}
Object.defineProperty(PluginLoadError.prototype, 'name', { value: 'PluginLoadError' });
