import { statSync } from 'node:fs';
import type { ExecuteCommand } from '@vnfkit/protocol';
import { parseEnvNameList, refusedEnvNames } from '@vnfkit/protocol';
import { NOT_FOUND_STATUS } from '../exec.js';
import type { ScriptRunRequest } from '../exec.js';
import { executableScriptPath } from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';
import { saveFiles } from './save-scripts.js';
import { writeDependencyFiles } from './save-vnfr-dependency.js';

/** The shell non-Python scripts run under (Open Baton ignores the shebang the same way). */
export const BASH = '/bin/bash';

/**
 * Reasons the VNFM's `env` map cannot be passed to a process: names that are empty or contain
 * `=` or NUL, values that contain NUL. Names starting with a digit are allowed (Open Baton sends
 * them for network names such as `1net`). Only names appear in the reasons, never values.
 */
export function checkScriptEnv(env: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const shown = JSON.stringify(name);
    if (name.length === 0) problems.push('an environment variable has an empty name');
    else if (name.includes('=')) problems.push(`environment variable name ${shown} contains "="`);
    else if (name.includes('\0')) problems.push(`environment variable name ${shown.replace(/\\u0000/g, '\\0')} contains a NUL byte`);
    // A newline in a name makes `env` output show a second, fake variable (`A\nPATH=/x` prints `PATH=/x`).
    else if ([...name].some((char) => char < ' ' || char === '\u007f'))
      problems.push(`environment variable name ${shown} contains a control character`);
    if (typeof value !== 'string') problems.push(`environment variable ${shown} is not a string`);
    else if (value.includes('\0')) problems.push(`environment variable ${shown} has a value containing a NUL byte`);
  }
  return problems;
}

/**
 * Reasons the VNFM's `env` map may not reach a script: names that programs the script runs read as
 * code or as where to find code (`BASH_ENV`, `BASH_FUNC_*`, `LD_PRELOAD`, `PATH`, …; the rule is
 * `@vnfkit/protocol`'s `envNameRefusal`, issue #15), except the names `allow_env` lists. Each reason
 * names its variable.
 */
export function refusedScriptEnv(env: Readonly<Record<string, unknown>>, allowEnv: string): { name: string; reason: string }[] {
  return refusedEnvNames(Object.keys(env), { allow: parseEnvNameList(allowEnv) });
}

/** Options of {@link buildScriptRequest}. */
export interface ScriptInvocation {
  /** The `EXECUTE` payload: script name, optionally followed by whitespace-separated arguments. */
  payload: string;
  /** The directory the script lives in (already checked against the policy). */
  dir: string;
  /** The VNFM's `env` map (already checked). */
  env: Readonly<Record<string, string>>;
}

/**
 * Builds the process request for an `EXECUTE`, or the reason it is refused. `.py` anywhere in
 * the payload runs the file directly (shebang + executable bit), anything else runs as
 * `/bin/bash <script> <args>`. Environment = the agent's own, then the VNFM's `env` on top
 * (the VNFM wins for the names it may set at all, see {@link refusedScriptEnv}; Open Baton's EMS lets
 * its own variables win), then the agent's own variables, which the VNFM cannot replace:
 * `SCRIPTS_PATH` = `dir` here and the run's containment marker (`VNFKIT_EXECUTION_ID`) in `exec.ts`.
 */
export function buildScriptRequest(
  invocation: ScriptInvocation,
  context: CommandContext,
): { ok: true; request: ScriptRunRequest } | { ok: false; reason: string } {
  const parts = invocation.payload
    .trim()
    .split(/\s+/)
    .filter((part) => part.length > 0);
  const [script, ...args] = parts;
  if (script === undefined) return { ok: false, reason: 'EXECUTE refused: the payload names no script' };
  const path = executableScriptPath(invocation.dir, script);
  if (!path.ok) return { ok: false, reason: `EXECUTE refused: ${path.reason}` };
  const direct = invocation.payload.includes('.py');
  return {
    ok: true,
    request: {
      command: direct ? path.value : BASH,
      args: direct ? args : [path.value, ...args],
      cwd: invocation.dir,
      env: { ...context.baseEnv, ...invocation.env, SCRIPTS_PATH: invocation.dir },
      timeoutMs: context.config.command_timeout * 1000,
      killGraceMs: context.config.kill_grace * 1000,
      maxOutputBytes: context.config.max_output_bytes,
      label: script,
      ...(context.signal ? { signal: context.signal } : {}),
    },
  };
}

/** Synchronous on purpose: one stat is cheaper than a thread-pool round trip on every EXECUTE. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * `EXECUTE`: runs a lifecycle script from the script directory with the VNFM's environment, in
 * the script directory, under the command timeout, and replies stdout/stderr/exit status.
 * A missing script → status 127. Bundled `files` are saved first, as a bundled `SAVE_SCRIPTS` sent just before
 * would have saved them, then a bundled `dependency`, as a `SAVE_VNFR_DEPENDENCY` would have; when either cannot
 * be, the reply says why and the script does not run.
 */
export async function execute(command: ExecuteCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  if (command.files !== undefined && command.files.length > 0) {
    const saved = saveFiles({ dir: dir.value, files: command.files, action: 'SAVE_SCRIPTS' }, context);
    if (!saved.ok) return failure(`EXECUTE of ${JSON.stringify(command.payload)} not run: ${saved.reason}`);
  }
  if (command.dependency !== undefined) {
    const saved = await writeDependencyFiles(dir.value, command.dependency, context);
    if (!saved.ok) return failure(`EXECUTE of ${JSON.stringify(command.payload)} not run: ${saved.reason}`);
  }
  const env: Record<string, string> = { ...(command.env ?? {}) };
  const problems = checkScriptEnv(env);
  if (problems.length > 0) return failure(`EXECUTE refused: ${problems.join('; ')}`);
  const refused = refusedScriptEnv(env, context.config.allow_env);
  if (refused.length > 0) {
    context.logger.warn(
      { refused: refused.map((r) => r.name) },
      'EXECUTE refused: the VNFM set environment variables that scripts may not get',
    );
    return failure(
      `EXECUTE refused: ${refused.map((r) => r.reason).join('; ')} (this agent's allow_env setting can let named variables through)`,
    );
  }
  const built = buildScriptRequest({ payload: command.payload, dir: dir.value, env }, context);
  if (!built.ok) return failure(built.reason);
  const { request } = built;
  const scriptPath = request.command === BASH ? (request.args[0] ?? '') : request.command;
  if (!isFile(scriptPath)) {
    return failure(`EXECUTE failed: script ${JSON.stringify(request.label)} not found in ${dir.value}`, NOT_FOUND_STATUS);
  }
  const log = context.logger.child({ script: request.label });
  log.info({ args: request.args.length - (request.command === BASH ? 1 : 0) }, 'script started');
  const result = await context.runner.run(request);
  log.info(
    {
      status: result.status,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      stdoutTruncated: result.stdoutTruncated,
      stderrTruncated: result.stderrTruncated,
    },
    'script finished',
  );
  return { output: result.stdout, err: result.stderr, status: result.status };
}
