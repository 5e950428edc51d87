/**
 * Variables of the agent's own environment that are about the agent process and must not reach
 * scripts (or the daemons they start): the Node.js settings of the agent (`NODE_ENV=production`
 * from the unit would switch many applications a script installs into production mode) and what
 * systemd hands to the service's main process only (a daemon that sees `NOTIFY_SOCKET` could report
 * the agent's status; `INVOCATION_ID`/`JOURNAL_STREAM` would tie it to the agent's invocation and log).
 * The agent's `VNFKIT_EMS_*` settings are removed too (see `scriptBaseEnv`).
 */
export const AGENT_ONLY_VARIABLES: ReadonlySet<string> = new Set([
  'NODE_ENV',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'UV_THREADPOOL_SIZE',
  'NOTIFY_SOCKET',
  'WATCHDOG_PID',
  'WATCHDOG_USEC',
  'LISTEN_PID',
  'LISTEN_FDS',
  'LISTEN_FDNAMES',
  'INVOCATION_ID',
  'JOURNAL_STREAM',
  'SYSTEMD_EXEC_PID',
  'MAINPID',
  'MANAGERPID',
  'STATE_DIRECTORY',
  'RUNTIME_DIRECTORY',
  'CACHE_DIRECTORY',
  'LOGS_DIRECTORY',
  'CONFIGURATION_DIRECTORY',
  'CREDENTIALS_DIRECTORY',
  'MONITOR_EXIT_CODE',
  'MONITOR_EXIT_STATUS',
  'MONITOR_INVOCATION_ID',
  'MONITOR_UNIT',
]);

/** True for a variable of the agent's environment that scripts must not inherit. */
export function isAgentOnlyVariable(name: string, settingsPrefix: string): boolean {
  return name.startsWith(settingsPrefix) || AGENT_ONLY_VARIABLES.has(name);
}
