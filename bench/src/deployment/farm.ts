// The agent farms of a deployment run: child processes (agent-farm.ts) running many in-process EMS agents.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FarmReply, FarmRequest } from '../agent-farm.js';

const require = createRequire(import.meta.url);
/** bench/src */
const benchSrc = join(dirname(fileURLToPath(import.meta.url)), '..');

export class Farm {
  readonly child: ChildProcess;
  private readonly waiting: ((reply: FarmReply) => void)[] = [];
  private exited: string | undefined;

  constructor() {
    const agentDist = join(dirname(require.resolve('@vnfkit/ems-agent/package.json')), 'dist', 'index.js');
    // The farm is not measured: tsx is fine here. Agents come from their build when there is one.
    // VNFKIT_BENCH_FARM_CPU_PROF=<dir>: V8 CPU profiles of the farms.
    const profile = process.env['VNFKIT_BENCH_FARM_CPU_PROF'];
    const execArgv = [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      '--import',
      'tsx',
      ...(existsSync(agentDist) ? [] : ['--conditions=@vnfkit/source']),
    ];
    // A bigger libuv pool than the default 4 threads for hundreds of agents in one process. Their per-command
    // file I/O is synchronous now, but runs without it measured worse (ratio 1.60–1.76 against 1.36–1.57,
    // not explained yet), so it stays.
    const env = { ...process.env, UV_THREADPOOL_SIZE: '64' };
    this.child = fork(join(benchSrc, 'agent-farm.ts'), [], {
      execArgv,
      env,
      cwd: join(benchSrc, '..'),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: FarmReply) => this.waiting.shift()?.(reply));
    this.child.once('exit', (code, signal) => {
      this.exited = `agent farm exited (${signal ?? code ?? '?'})`;
      for (const w of this.waiting.splice(0)) w({ kind: 'error', message: this.exited });
    });
  }

  async ask(request: FarmRequest): Promise<FarmReply> {
    if (this.exited) throw new Error(this.exited);
    const reply = await new Promise<FarmReply>((resolve) => {
      this.waiting.push(resolve);
      this.child.send(request);
    });
    if (reply.kind === 'error') throw new Error(`agent farm: ${reply.message}`);
    return reply;
  }

  async runs(): Promise<[number, number][]> {
    const reply = await this.ask({ kind: 'runs' });
    return reply.kind === 'runs' ? reply.runs : [];
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ kind: 'close' }).catch(() => undefined);
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** The hard limit of open files (Node raises the soft limit to it at start), from /proc; Infinity when unknown. */
export function openFilesLimit(): number {
  try {
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}
