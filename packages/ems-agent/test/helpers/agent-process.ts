import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { withDeadline } from './wait-for.js';

/** The workspace root (where tsx is installed). */
export const WORKSPACE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
/** The CLI source, run through tsx with the `@vnfkit/source` condition (no build needed). */
export const CLI_SOURCE = join(WORKSPACE_ROOT, 'packages/ems-agent/src/cli.ts');

/** Node arguments that run the CLI from source. */
export function cliArgs(args: readonly string[]): string[] {
  return ['--conditions=@vnfkit/source', '--import', 'tsx', CLI_SOURCE, ...args];
}

/** Writes an INI config file with an `[ems]` section. */
export async function writeConfig(dir: string, values: Record<string, string | number | boolean>, name = 'ems.conf'): Promise<string> {
  const path = join(dir, name);
  const lines = ['[ems]', ...Object.entries(values).map(([key, value]) => `${key} = ${String(value)}`)];
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** A spawned `vnfkit-ems` process with its parsed JSON log lines. */
export class AgentProcess {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ raw: line });
        }
        newline = buffer.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  }

  /** True once a log line with this `msg` was written. */
  logged(msg: string): boolean {
    return this.logs.some((line) => line.msg === msg);
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return withDeadline(this.exited, timeoutMs, `vnfkit-ems to exit after ${signal}`);
  }
}

/** Spawns the agent CLI from source; it is killed (SIGKILL) when the test finishes. */
export function spawnAgent(args: readonly string[], env: Record<string, string | undefined> = {}): AgentProcess {
  const child = spawn(process.execPath, cliArgs(args), {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const agent = new AgentProcess(child);
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await withDeadline(agent.exited, 10_000, 'the agent process to die').catch(() => undefined);
    }
  });
  return agent;
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const agent = spawnAgent(args, env);
  let stdout = '';
  agent.child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  const { code } = await withDeadline(agent.exited, timeoutMs, `vnfkit-ems ${args.join(' ')} to exit`);
  return { code, stdout, stderr: agent.stderr };
}
