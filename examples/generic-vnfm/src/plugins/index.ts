export { defineLifecyclePlugin, LifecyclePluginError, PluginLoadError, servesVnfr } from './plugin.js';
export { loadLifecyclePlugins } from './loader.js';
export type { LoadPluginsOptions } from './loader.js';
export { LifecyclePlugins } from './dispatch.js';
export type { HookContextOf, HookInput, LifecyclePluginsOptions } from './dispatch.js';
export type {
  AgentTarget,
  AroundHook,
  AroundHooks,
  ChooseScaleInContext,
  ConfigurePluginContext,
  HealPluginContext,
  InstantiatePluginContext,
  LifecyclePlugin,
  Next,
  PluginAgent,
  PluginContext,
  PluginEvent,
  PluginServes,
  ScaleInPluginContext,
  ScaleOutPluginContext,
  StartStopPluginContext,
  TerminatePluginContext,
  UpdatePluginContext,
} from './types.js';
