import type { Logger } from 'pino';
import type { ResolvedEmsConfig } from '../config.js';
import type { ScriptRunner } from '../exec.js';
import type { Checked } from '../scripts/script-store.js';
import { resolveScriptDir } from '../scripts/script-store.js';

/** What every command handler gets: the frozen config and the injected collaborators. */
export interface CommandContext {
  config: ResolvedEmsConfig;
  runner: ScriptRunner;
  logger: Logger;
  /** The agent's own environment as scripts inherit it (agent secrets already removed). */
  baseEnv: Readonly<Record<string, string>>;
  /** Aborts a running script or clone (not used for graceful shutdown: that lets commands finish). */
  signal?: AbortSignal;
}

/** The reply of one command, as sent to the VNFM. */
export interface CommandReply {
  output: string;
  err: string;
  status: number;
}

/** A failure reply: empty output, the reason in `err`. */
export function failure(err: string, status = 1): CommandReply {
  return { output: '', err, status };
}

/** The script directory a command works in, per the `script-path` policy of the config. */
export function commandScriptDir(scriptPath: string | undefined, context: CommandContext): Checked<string> {
  return resolveScriptDir(scriptPath, {
    scriptsDir: context.config.scripts_dir,
    allowOverride: context.config.allow_script_path_override,
  });
}
