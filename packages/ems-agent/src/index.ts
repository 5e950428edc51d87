/**
 * @vnfkit/ems-agent — the EMS agent of vnfkit: one per VM, registers with the VNFM over AMQP
 * (Open Baton 6.0 wire protocol) and stores and runs lifecycle scripts.
 */
export { createAgent, scriptBaseEnv } from './agent.js';
export type { Agent, AgentState, CreateAgentOptions } from './agent.js';
export {
  brokerUrl,
  brokerUrls,
  CONFIG_KEYS,
  CONFIG_SECTION,
  DEFAULT_CONFIG_FILE,
  DEFAULT_CONFIG_SEARCH_PATH,
  EmsConfig,
  ENV_PREFIX,
  loadConfig,
  maskConfig,
  OPENBATON_CONFIG_FILE,
  OPENBATON_LEGACY_CONFIG_FILE,
  readConfigSources,
  resolveConfig,
} from './config.js';
export type { ConfigSources, EmsConfigInput, LoadConfigOptions, ResolvedEmsConfig } from './config.js';
export { AGENT_TRANSPORT_MODE, createAgentTransport } from './transport/agent-transport.js';
export type { AgentTransport } from './transport/agent-transport.js';
export { NOT_EXECUTABLE_STATUS, NOT_FOUND_STATUS, processRunner, runScriptProcess, TIMEOUT_STATUS } from './exec.js';
export type { ScriptResult, ScriptRunner, ScriptRunRequest } from './exec.js';
export { INTERRUPTED_ERR } from './command-handler.js';
export { checkGitUrl } from './scripts/git-clone.js';
export { formatListing, resolveScriptDir, scriptFilePath } from './scripts/script-store.js';
export { PARAMETER_FILES, renderParametersShell } from './commands/save-vnfr-dependency.js';
export { fillUserDataTemplate, renderUserData, USER_DATA_TEMPLATE_PATH, USER_DATA_TEMPLATES } from './user-data.js';
export type { UserDataKind, UserDataValues } from './user-data.js';
export { packageVersion } from './version.js';
