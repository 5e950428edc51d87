import { spawn } from 'node:child_process';
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

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Runs one process in its own process group (`detached`), no shell. On timeout or cancel it sends
 * SIGTERM to the whole group, then SIGKILL after `killGraceMs`; processes of the run that left the
 * group (`setsid`, re-parented orphans) are found by their environment marker and killed alike
 * (see `internal/containment.ts`). stdout/stderr are captured up to
 * `maxOutputBytes` each and drained beyond that. Resolves with a {@link ScriptResult}; never rejects.
 */
export function runScriptProcess(request: ScriptRunRequest): Promise<ScriptResult> {
  const started = Date.now();
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
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(request.command, [...request.args], {
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
      // Keep draining whatever a daemon started by the script still writes, without holding the agent open.
      unrefPipe(child.stdout);
      unrefPipe(child.stderr);
      child.unref();
      resolve(buildResult());
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

    let openPipes = 2;
    const onPipeClosed = (): void => {
      openPipes -= 1;
      if (openPipes === 0) {
        pipesClosed = true;
        finish();
      }
    };
    child.stdout.on('close', onPipeClosed);
    child.stderr.on('close', onPipeClosed);

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
