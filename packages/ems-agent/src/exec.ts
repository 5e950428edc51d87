import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { constants } from 'node:os';
import { ProcessTreeMarker } from './internal/containment.js';
import { OutputCapture } from './internal/output-capture.js';
import { groupAlive, killGroup } from './internal/process-group.js';

/** Exit status reported when a script hit its timeout (same convention as coreutils `timeout`). */
export const TIMEOUT_STATUS = 124;
/** Exit status reported when the script file does not exist or cannot be started (shell convention). */
export const NOT_FOUND_STATUS = 127;
/** Exit status reported when the script exists but is not executable. */
export const NOT_EXECUTABLE_STATUS = 126;

/** What to run, and under which limits. */
export interface ScriptRunRequest {
  /** Executable (absolute path), e.g. `/bin/bash` or the script itself for `.py` files. */
  command: string;
  /** Arguments, passed as is (no shell). */
  args: readonly string[];
  /** Working directory. */
  cwd: string;
  /** The complete environment of the process (nothing is inherited implicitly). */
  env: Readonly<Record<string, string>>;
  /** Run-time limit in milliseconds; on expiry the whole process group is killed. */
  timeoutMs: number;
  /** Milliseconds between SIGTERM and SIGKILL when killing. */
  killGraceMs: number;
  /** Bytes kept of stdout and of stderr (each). */
  maxOutputBytes: number;
  /** Name used in messages (the script name as the VNFM sent it). */
  label: string;
  /** Cancels the run: the process group is killed like on a timeout. */
  signal?: AbortSignal;
}

/** Outcome of one script run; never rejected for script failures. */
export interface ScriptResult {
  /** Exit code; 128+n after signal n; 124 on timeout; 126/127 when it could not be started. */
  status: number;
  stdout: string;
  /** stderr of the script, plus one `vnfkit-ems:` line when the agent killed or could not start it. */
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
  /** Name of the signal that ended the process, if any. */
  signal?: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
}

/** Runs a script for the agent; the default runs a real process, tests may inject a fake. */
export interface ScriptRunner {
  /** Runs one script to completion (or kill) and reports its result. */
  run(request: ScriptRunRequest): Promise<ScriptResult>;
}

/**
 * How long the pipes may stay open after the script's main process exited before the result is
 * returned anyway: a script that starts a daemon (`server &`) leaves it holding stdout.
 */
const PIPE_LINGER_MS = 250;
/** How often a killed process group is probed for survivors. */
const GROUP_PROBE_MS = 50;

function signalNumber(name: string): number {
  return (constants.signals as Record<string, number | undefined>)[name] ?? 0;
}

function unrefPipe(stream: unknown): void {
  // Pipes of a spawned child are net.Socket instances; the typings only say Readable.
  const socket = stream as { unref?: () => void } | null;
  socket?.unref?.();
}

/** The `oom_score_adj` scripts start with, whatever the agent's own is (the unit gives the agent -500). */
export const SCRIPT_OOM_SCORE_ADJ = 0;

/**
 * Shell prologue of {@link scriptCommand}: sets the OOM score of the process itself, then `exec`s the
 * script with its arguments, which arrive as positional parameters (`$0`, `$@`) and are never parsed
 * by the shell. A failed write (no /proc, no permission) is ignored.
 */
const OOM_RESET = `{ echo ${SCRIPT_OOM_SCORE_ADJ} > /proc/self/oom_score_adj; } 2>/dev/null; exec "$0" "$@"`;

/** The agent's own `oom_score_adj`, or `undefined` where there is none (not Linux, /proc not mounted). */
function ownOomScoreAdj(): number | undefined {
  try {
    return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * What to spawn so that the script does not inherit the agent's OOM score: Node cannot run code
 * between fork and exec, so when the agent's score differs from {@link SCRIPT_OOM_SCORE_ADJ} the
 * script is started through `/bin/sh -c <prologue> <command> <args…>`, which resets the score and
 * `exec`s the command in the same process (same pid and process group). Otherwise directly.
 */
export function scriptCommand(command: string, args: readonly string[]): { file: string; args: string[] } {
  const own = ownOomScoreAdj();
  if (own === undefined || own === SCRIPT_OOM_SCORE_ADJ || !isAbsolute(command)) return { file: command, args: [...args] };
  return { file: '/bin/sh', args: ['-c', OOM_RESET, command, ...args] };
}

/** The error `spawn` would report for `command` (ENOENT, EACCES), checked up front because the wrapper shell hides it. */
function startProblem(command: string): NodeJS.ErrnoException | undefined {
  if (!isAbsolute(command)) return undefined;
  try {
    accessSync(command, fsConstants.X_OK);
    return undefined;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

function ignoreChunk(): void {
  // Output of a run that was already answered.
}

/** Reads the rest of a pipe into nothing inside the agent (fallback when no drain process can start). */
function discardInProcess(stream: Readable): void {
  stream.removeAllListeners('data');
  stream.on('data', ignoreChunk);
  stream.resume();
  unrefPipe(stream);
}

/**
 * Hands the still-open output pipes of an answered run to a small `cat > /dev/null` process, so
 * what a daemon started by the script writes later costs the agent neither memory nor CPU (reading
 * it in the agent allocated a buffer per read: 64 MiB written after the reply grew the agent by
 * ~30 MiB), and the daemon still never gets SIGPIPE or blocks on a full pipe, also across an agent
 * restart. The drain process has its own process group, no environment beyond PATH, and exits when
 * the last writer closes the pipe.
 */
function drainElsewhere(streams: readonly Readable[]): void {
  if (streams.length === 0) return;
  for (const stream of streams) {
    stream.removeAllListeners('data');
    stream.pause();
  }
  const [first, second] = streams;
  const stdio: StdioOptions = second === undefined ? [first, 'ignore', 'ignore'] : [first, 'ignore', 'ignore', second];
  const script = second === undefined ? 'exec cat' : 'cat <&3 3<&- & exec cat 3<&-';
  let drain;
  try {
    drain = spawn('/bin/sh', ['-c', script], { stdio, detached: true, cwd: '/', env: { PATH: '/usr/bin:/bin' } });
  } catch {
    for (const stream of streams) discardInProcess(stream);
    return;
  }
  drain.once('spawn', () => {
    for (const stream of streams) stream.destroy();
  });
  drain.once('error', () => {
    for (const stream of streams) discardInProcess(stream);
  });
  drain.unref();
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The result of a run whose executable cannot be started: 126 when it is not executable, else 127. */
function notStarted(request: ScriptRunRequest, error: NodeJS.ErrnoException, started: number): ScriptResult {
  return {
    status: error.code === 'EACCES' ? NOT_EXECUTABLE_STATUS : NOT_FOUND_STATUS,
    stdout: '',
    stderr: `vnfkit-ems: cannot start ${request.label}: ${error.code ?? error.message}\n`,
    timedOut: false,
    canceled: false,
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: Date.now() - started,
  };
}

/**
 * Runs one process in its own process group (`detached`), no shell (only the OOM-score prologue of
 * {@link scriptCommand}, which `exec`s the command with its arguments untouched). On timeout or cancel it sends
 * SIGTERM to the whole group, then SIGKILL after `killGraceMs`; processes of the run that left the
 * group (`setsid`, re-parented orphans) are found by their environment marker and killed alike
 * (see `internal/containment.ts`). stdout/stderr are captured up to
 * `maxOutputBytes` each and drained beyond that; once the run is answered, pipes a daemon of the script
 * still holds are handed to a drain process and nothing more is captured. Resolves with a {@link ScriptResult}; never rejects.
 */
export function runScriptProcess(request: ScriptRunRequest): Promise<ScriptResult> {
  const started = Date.now();
  const target = scriptCommand(request.command, request.args);
  const problem = target.file === request.command ? undefined : startProblem(request.command);
  if (problem !== undefined) return Promise.resolve(notStarted(request, problem, started));
  const stdout = new OutputCapture(request.maxOutputBytes);
  const stderr = new OutputCapture(request.maxOutputBytes);
  const tree = new ProcessTreeMarker();
  return new Promise<ScriptResult>((resolve) => {
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exited = false;
    let pipesClosed = false;
    let lingerOver = false;
    let killing = false;
    let groupDone = true;
    let timedOut = false;
    let canceled = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let finished = false;
    let stdoutOpen = true;
    let stderrOpen = true;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(target.file, target.args, {
      cwd: request.cwd,
      env: { ...request.env, ...tree.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const finish = (): void => {
      if (finished) return;
      if (spawnError === undefined && (!exited || !(pipesClosed || lingerOver) || !groupDone)) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      const result = buildResult();
      // What a daemon started by the script still writes is no part of the answered run: drained
      // and discarded outside the agent (see drainElsewhere), never captured.
      stdout.close();
      stderr.close();
      if (spawnError === undefined)
        drainElsewhere([stdoutOpen ? child.stdout : null, stderrOpen ? child.stderr : null].filter((s): s is Readable => s !== null));
      child.unref();
      resolve(result);
    };

    const buildResult = (): ScriptResult => {
      let status: number;
      const notes: string[] = [];
      if (spawnError !== undefined) {
        status = spawnError.code === 'EACCES' ? NOT_EXECUTABLE_STATUS : NOT_FOUND_STATUS;
        notes.push(`vnfkit-ems: cannot start ${request.label}: ${spawnError.code ?? spawnError.message}`);
      } else if (timedOut) {
        status = TIMEOUT_STATUS;
        notes.push(`vnfkit-ems: ${request.label} timed out after ${seconds(request.timeoutMs)}; its process group was killed`);
      } else if (exitSignal !== null) {
        status = 128 + signalNumber(exitSignal);
        if (canceled) notes.push(`vnfkit-ems: ${request.label} was cancelled; its process group was killed`);
      } else {
        status = exitCode ?? 1;
      }
      let errText = stderr.text();
      if (notes.length > 0) {
        if (errText.length > 0 && !errText.endsWith('\n')) errText += '\n';
        errText += `${notes.join('\n')}\n`;
      }
      return {
        status,
        stdout: stdout.text(),
        stderr: errText,
        timedOut,
        canceled,
        ...(exitSignal !== null ? { signal: exitSignal } : {}),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        durationMs: Date.now() - started,
      };
    };

    const probeGroup = (): void => {
      if (groupDone || child.pid === undefined) return;
      if (!groupAlive(child.pid) && !tree.alive()) {
        groupDone = true;
        finish();
        return;
      }
      const timer = setTimeout(probeGroup, GROUP_PROBE_MS);
      timers.push(timer);
    };

    const terminate = (): void => {
      if (killing || child.pid === undefined) return;
      killing = true;
      groupDone = false;
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      tree.signal('SIGTERM');
      timers.push(
        setTimeout(() => {
          killGroup(pid, 'SIGKILL');
          tree.killAll();
          groupDone = true;
          finish();
        }, request.killGraceMs),
      );
      if (exited) probeGroup();
    };

    const onAbort = (): void => {
      if (exited && !killing) return;
      canceled = true;
      terminate();
    };

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    const onPipeClosed = (): void => {
      if (!stdoutOpen && !stderrOpen) {
        pipesClosed = true;
        finish();
      }
    };
    child.stdout.on('close', () => {
      stdoutOpen = false;
      onPipeClosed();
    });
    child.stderr.on('close', () => {
      stderrOpen = false;
      onPipeClosed();
    });

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only spawn failures reach here (ENOENT, EACCES); kill errors are caught in killGroup.
      if (child.pid === undefined) {
        spawnError = error;
        finish();
      }
    });

    child.on('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      timers.push(
        setTimeout(() => {
          lingerOver = true;
          finish();
        }, PIPE_LINGER_MS),
      );
      if (killing) probeGroup();
      finish();
    });

    timers.push(
      setTimeout(() => {
        if (exited && !killing) return;
        timedOut = true;
        terminate();
      }, request.timeoutMs),
    );
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The default {@link ScriptRunner}: real processes via {@link runScriptProcess}. */
export const processRunner: ScriptRunner = { run: runScriptProcess };
