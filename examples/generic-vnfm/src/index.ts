export { applyUpstreamModel, emsCredentials, GenericVnfmConfig, HELP, loadConfig, parseConfigText } from './config.js';
export type { GenericVnfmConfigInput, LoadConfigOptions, LoadedConfig } from './config.js';
export {
  buildBaseEnv,
  dependencyPayload,
  healEnv,
  mergeEnv,
  removingEnv,
  sourceTypeOf,
  typedDependencyEnvs,
  vnfcEnv,
  RefusedEnvKeyError,
  assertEnvNamesAllowed,
  dependencyEnvNames,
  descriptorEnvNames,
  recordEnvNames,
  refusedEnvKeys,
} from './env/index.js';
export type { EnvMap, TypedDependencyEnv, FormedEnvName, RefusedEnvKey, VnfdEnvView } from './env/index.js';
export { AgentCommandError, AgentNotReadyError, NothingToResumeError, ResumeStoreError, ScriptFailedError } from './errors.js';
export type { ScriptFailureDetails } from './errors.js';
export { runPlan } from './lifecycle/run-plan.js';
export type { CommandReply, CommandSender, ExecutionObserver, RunPlanOptions, RunPlanResult } from './lifecycle/run-plan.js';
export { ScriptLogs } from './logs/index.js';
export type { ScriptLogEntry, ScriptLogLines, ScriptLogsOptions } from './logs/index.js';
export { countExecutions, planEvent, scriptNameOf } from './plan/index.js';
export type {
  EventPlan,
  ExecuteCommand,
  PlanCommand,
  PlanOptions,
  SaveDependencyCommand,
  ScriptEvent,
  ScriptStep,
  VnfcConcurrency,
  VnfcWork,
} from './plan/index.js';
export {
  FileResumeStore,
  MemoryResumeStore,
  ResumableEvent,
  resumedActionOf,
  ScriptFailure,
  StreamResumeStore,
} from './resume-store/index.js';
export type { FileResumeStoreOptions, ResumeStore, StreamResumeStoreOptions } from './resume-store/index.js';
export { agentTemplatePath, fillUserData, HOSTNAME_PLACEHOLDER, loadUserDataTemplate, shellQuote } from './user-data.js';
export type { UserDataKind, UserDataValues } from './user-data.js';
export { GenericVnfm } from './generic-vnfm.js';
export type { GenericVnfmOptions } from './generic-vnfm.js';
export { GenericLifecycle } from './lifecycle/generic-lifecycle.js';
export { adjustPlan } from './lifecycle/generic-lifecycle.js';
export type { GenericLifecycleOptions, PlanAdjustment, ScriptSource } from './lifecycle/generic-lifecycle.js';
export type { AgentChannel, PackageFile } from './lifecycle/agent-channel.js';
export {
  defineLifecyclePlugin,
  LifecyclePluginError,
  LifecyclePlugins,
  loadLifecyclePlugins,
  PluginLoadError,
  servesVnfr,
} from './plugins/index.js';
export type {
  AgentTarget,
  AroundHook,
  AroundHooks,
  ChooseScaleInContext,
  ConfigurePluginContext,
  HealPluginContext,
  HookContextOf,
  HookInput,
  InstantiatePluginContext,
  LifecyclePlugin,
  LifecyclePluginsOptions,
  LoadPluginsOptions,
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
} from './plugins/index.js';
