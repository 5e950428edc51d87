// Benchmark 2: deployment scale — one Generic VNFM deploys N VNFRs × 2 VNFCs (default N = 200, 400 agents)
// through the NFVO simulator: INSTANTIATE, CONFIGURE and START with two no-op scripts each (12 executions per
// VNFR). Floor: the same executions of the same scripts sent straight to the same agents by an EmsClient at the
// concurrency the VNFM reached (executions in flight at the agents, measured). `runDeployment` is the same run with
// other shapes (VNFCs per VNFR, scripts, the VNFM's environment, no floor) for upstream-model.ts and scale-large.ts.
//
// Processes: the VNFM is its own child (the real `generic-vnfm` bin from dist, so its VmHWM is the VNFM's alone);
// the agents run in-process in a few "agent farm" children sharing AMQP connections; the simulator, the VIM that
// hands out the farm's VMs, and the floor's EmsClient run here. Everything lives on a private RabbitMQ vhost
// (the Open Baton queue names are fixed, and other suites may use the broker at the same time).
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event, NetworkServiceDescriptor } from '@vnfkit/protocol';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { NfvoSimulator, type Vm, type VimDriver, type VmRequest } from '@vnfkit/vnfm-sdk/testing';
import type { FarmReply, FarmRequest } from './agent-farm.js';
import { AMQP_URL, round, type Row } from './table.js';

/** The scripts of every VNFR: the same list for each event, all with the same content. */
export interface Workload {
  events: readonly Event[];
  scripts: readonly string[];
  /** The content of every script. */
  content: string;
  /** What one script takes, ms (for the model of what bounds a run). @default 0 */
  scriptMs?: number;
}

/** INSTANTIATE, CONFIGURE and START with two no-op scripts each: what `pnpm bench` deploys by default. */
export const NOOP_WORKLOAD: Workload = {
  events: ['INSTANTIATE', 'CONFIGURE', 'START'],
  scripts: ['noop-1.sh', 'noop-2.sh'],
  content: '#!/bin/bash\n:\n',
};

/** Size and shape; every field but the ones marked "code only" can be set from the environment (`VNFKIT_BENCH_*`). */
export interface DeploymentScaleOptions {
  /** VNFRs to deploy. Env `VNFKIT_BENCH_VNFRS`. @default 200 */
  vnfrs: number;
  /** VNFCs (VMs, agents) per VNFR; code only. @default 2 */
  vnfcsPerVnfr?: number;
  /** The scripts; code only. @default {@link NOOP_WORKLOAD} */
  workload?: Workload;
  /** More environment for the VNFM child (`VNFKIT_UPSTREAM_MODEL`, …); code only. @default none */
  vnfmEnv?: Record<string, string>;
  /** Measure the floor (EmsClient straight to the agents) after the deployment; code only. @default true */
  floor?: boolean;
  /** Agent farm processes. Env `VNFKIT_BENCH_FARMS`. @default 2 */
  farms: number;
  /** Agents sharing one AMQP connection in a farm. Env `VNFKIT_BENCH_AGENTS_PER_LINK`. @default 50 */
  agentsPerLink: number;
  /** The VNFM's `concurrency` (NFVO commands at once); unset = the VNFM's default. Env `VNFKIT_BENCH_VNFM_CONCURRENCY`. */
  vnfmConcurrency: number | undefined;
  /**
   * The VNFM alone on the last CPU, everything else (broker, agents, scripts, simulator, floor client) on the
   * others, for both runs: the VNFM as on a host of its own. Changes the broker's CPU affinity for the run
   * (restored after). Env `VNFKIT_BENCH_PIN_VNFM=1`. @default false
   */
  pinVnfm: boolean;
  /** Deadline of the whole deployment. @default 240 s */
  deployTimeoutMs: number;
}

const NOOP = NOOP_WORKLOAD.content;
const NETWORK = 'private';
/** Agents warmed up at once (the VNFM's default 10 NFVO commands × 2 VNFCs). */
const WARM_UP_CONCURRENCY = 20;

function envInt(name: string, fallback: number): number;
function envInt(name: string, fallback: undefined): number | undefined;
function envInt(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function optionsFromEnv(): DeploymentScaleOptions {
  return {
    vnfrs: Math.max(2, envInt('VNFKIT_BENCH_VNFRS', 200)),
    farms: envInt('VNFKIT_BENCH_FARMS', 2),
    agentsPerLink: envInt('VNFKIT_BENCH_AGENTS_PER_LINK', 50),
    vnfmConcurrency: envInt('VNFKIT_BENCH_VNFM_CONCURRENCY', undefined),
    pinVnfm: process.env['VNFKIT_BENCH_PIN_VNFM'] === '1',
    deployTimeoutMs: 240_000,
  };
}

// ---- the broker ----

/** A private vhost (removed by the returned cleanup); without rabbitmqctl, the AMQP_URL's vhost is used as is. */
function privateVhost(): { url: string; remove: () => void } {
  const vhost = `vnfkit-bench-${randomBytes(4).toString('hex')}`;
  const url = new URL(AMQP_URL);
  const user = decodeURIComponent(url.username) || 'guest';
  try {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*'], { stdio: 'ignore' });
  } catch {
    console.error('note: deployment-scale: rabbitmqctl failed; using the AMQP_URL vhost (do not run NFVO tests at the same time)');
    return { url: AMQP_URL, remove: () => undefined };
  }
  url.pathname = `/${vhost}`;
  return { url: url.toString(), remove: () => execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost], { stdio: 'ignore' }) };
}

// ---- the VNFM child ----

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const vnfmDir = join(here, '..', '..', 'examples', 'generic-vnfm');
const vnfmCli = join(vnfmDir, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The VNFM runs from its build (no tsx in its RSS); (re)builds it when missing or older than its sources. */
function ensureVnfmBuilt(): void {
  for (const pkg of ['protocol', 'vnfm-sdk', 'ems-agent']) {
    const dir = join(here, '..', '..', 'packages', pkg);
    const dist = join(dir, 'dist');
    if (!existsSync(dist) || newestMtime(dist) < newestMtime(join(dir, 'src')))
      console.error(`note: deployment-scale: packages/${pkg}/dist is missing or older than its sources; run \`pnpm build\``);
  }
  if (existsSync(vnfmCli) && statSync(vnfmCli).mtimeMs >= newestMtime(join(vnfmDir, 'src'))) return;
  console.error('note: deployment-scale: building examples/generic-vnfm (its dist is missing or stale)');
  execFileSync('pnpm', ['--filter', '@vnfkit/generic-vnfm', 'run', 'build'], { stdio: 'ignore', cwd: vnfmDir });
}

function startVnfm(input: {
  url: string;
  type: string;
  dir: string;
  concurrency: number | undefined;
  env?: Record<string, string> | undefined;
}): ChildProcess {
  const url = new URL(input.url);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    AMQP_URL: input.url,
    VNFM_TYPE: input.type,
    VNFM_ENDPOINT: input.type,
    VNFKIT_RESUME_DIR: join(input.dir, 'resume'),
    VNFKIT_LOG_DIR: join(input.dir, 'logs'),
    VNFKIT_JOURNAL_FILE: join(input.dir, 'operations.jsonl'),
    VNFKIT_MANAGER_USERNAME: decodeURIComponent(url.username) || 'guest',
    VNFKIT_MANAGER_PASSWORD: decodeURIComponent(url.password) || 'guest',
    VNFKIT_AGENT_START_TIMEOUT_S: '120',
    VNFKIT_AGENT_COMMAND_TIMEOUT_S: '120',
  };
  if (input.concurrency !== undefined) env['VNFKIT_CONCURRENCY'] = String(input.concurrency);
  Object.assign(env, input.env);
  // Default log level (info), as in production; the log goes nowhere.
  // VNFKIT_BENCH_VNFM_CPU_PROF=<dir>: a V8 CPU profile of the VNFM, written when it exits.
  const profile = process.env['VNFKIT_BENCH_VNFM_CPU_PROF'];
  return spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), vnfmCli], {
    env,
    cwd: input.dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The hard limit of open files (Node raises the soft limit to it at start), from /proc; Infinity when unknown. */
function openFilesLimit(): number {
  try {
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}

/** Resident memory now, MB. */
async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest sample (VmHWM of a long-lived broker says nothing about this run). */
function rssSampler(pid: number | undefined, everyMs = 250): { stop: () => Promise<number> } {
  let peak = NaN;
  const sample = (): void => {
    rssMb(pid).then(
      (mb) => {
        peak = Number.isNaN(peak) ? mb : Math.max(peak, mb);
      },
      () => undefined,
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      peak = Math.max(Number.isNaN(peak) ? -Infinity : peak, await rssMb(pid).catch(() => NaN));
      return peak;
    },
  };
}

/** Client connections the broker has: on our vhost and in all (`rabbitmqctl list_connections`); NaN without rabbitmqctl. */
function brokerConnections(vhostUrl: string): { ours: number; all: number } {
  try {
    const vhost = decodeURIComponent(new URL(vhostUrl).pathname.slice(1)) || '/';
    const lines = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'vhost'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && l !== 'vhost');
    return { ours: lines.filter((l) => l === vhost).length, all: lines.length };
  } catch {
    return { ours: NaN, all: NaN };
  }
}

async function peakRssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 0}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

/**
 * The broker's pid when it runs on this machine, for its CPU time and memory: the process that holds the socket
 * listening on the AMQP_URL's port (other RabbitMQ nodes may run on the machine: tests start their own), else
 * the oldest Erlang VM.
 */
export function brokerPid(): number | undefined {
  try {
    const port = Number(new URL(AMQP_URL).port || 5672)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of (existsSync(table) ? readFileSync(table, 'utf8') : '').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[3] === '0A' && f[1]?.endsWith(`:${port}`) && f[9] !== undefined) inodes.add(`socket:[${f[9]}]`);
      }
    }
    const candidates = execFileSync('pgrep', ['-f', 'beam.smp'], { encoding: 'utf8' }).trim().split('\n').map(Number);
    for (const pid of candidates) {
      const fds = (() => {
        try {
          return readdirSync(`/proc/${pid}/fd`);
        } catch {
          return [];
        }
      })();
      for (const fd of fds) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
        } catch {
          // gone meanwhile
        }
      }
    }
  } catch {
    // fall through
  }
  try {
    const pid = Number(execFileSync('pgrep', ['-o', '-f', 'beam.smp'], { encoding: 'utf8' }).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine has been busy so far (every process, the scripts included), from /proc/stat. */
async function machineBusySeconds(): Promise<number> {
  const [user = 0, nice = 0, system = 0, _idle = 0, _iowait = 0, irq = 0, softirq = 0, steal = 0] = (await readFile('/proc/stat', 'utf8'))
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ
}

/** CPU seconds so far of the parties of a run: this process (simulator, floor client), the farms, the broker, the VNFM. */
async function cpuSplit(input: {
  farms: Farm[];
  broker: number | undefined;
  vnfm: ChildProcess;
}): Promise<Record<'bench' | 'farms' | 'broker' | 'vnfm' | 'machine', number>> {
  const own = process.cpuUsage();
  const machine = await machineBusySeconds().catch(() => NaN);
  const farms = await Promise.all(input.farms.map((f) => cpuSeconds(f.child.pid)));
  return {
    bench: (own.user + own.system) / 1e6,
    farms: farms.reduce((a, b) => a + b, 0),
    broker: input.broker === undefined ? NaN : await cpuSeconds(input.broker).catch(() => NaN),
    vnfm: await cpuSeconds(input.vnfm.pid).catch(() => NaN),
    machine,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** A process's CPU affinity (all its threads), as `taskset` lists it, e.g. `0-1`. */
function affinity(pid: number): string {
  return (
    execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(': ')
      .pop() ?? ''
  );
}

function setAffinity(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Puts the VNFM alone on the last CPU and `others` (with all their threads; children started later inherit
 * it) on the rest. Returns what restores the processes that outlive the run (this one, the broker).
 */
function pinApart(input: { vnfm: number; others: number[]; outliving: number[] }): () => void {
  const cpus = availableParallelism();
  if (cpus < 2) throw new Error('VNFKIT_BENCH_PIN_VNFM needs at least 2 CPUs');
  const saved = input.outliving.map((pid) => [pid, affinity(pid)] as const);
  const restore = (): void => {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    for (const [pid, cpuList] of saved) setAffinity(pid, cpuList);
  };
  // An interrupted bench must not leave the broker on one CPU.
  const interrupted = (signal: NodeJS.Signals): void => {
    restore();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  setAffinity(input.vnfm, String(cpus - 1));
  for (const pid of input.others) setAffinity(pid, cpus === 2 ? '0' : `0-${cpus - 2}`);
  return restore;
}

// ---- the agent farms ----

class Farm {
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
    this.child = fork(join(here, 'agent-farm.ts'), [], {
      execArgv,
      env,
      cwd: join(here, '..'),
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

/** A VIM with a pool of already-booted VMs (the farm's agents): allocation only hands one out. */
class PoolVim implements VimDriver {
  readonly name = 'bench-pool-vim';
  private readonly counters = new Map<string, number>();
  private nextIp = 2;

  constructor(private readonly pool: ReadonlySet<string>) {}

  async allocate(request: VmRequest): Promise<Vm> {
    const n = (this.counters.get(request.vnfrName) ?? 0) + 1;
    this.counters.set(request.vnfrName, n);
    const hostname = `${request.vnfrName}-${n}`;
    if (!this.pool.has(hostname)) throw new Error(`no booted VM ${hostname} in the pool`);
    const octet = this.nextIp++;
    const ips = (request.networks.length > 0 ? request.networks : [NETWORK]).map((netName, i) => ({
      netName,
      ip: `127.${10 + i}.${Math.floor(octet / 250)}.${(octet % 250) + 2}`,
    }));
    return { hostname, vimId: this.name, vcId: randomUUID(), ips, floatingIps: [] };
  }

  async release(): Promise<void> {}

  async restart(hostname: string): Promise<void> {
    throw new Error(`the pool VIM cannot restart ${hostname}`);
  }

  async close(): Promise<void> {}
}

// ---- the measurement ----

/** Peak and time-weighted mean of executions in flight over [from, to]. */
function inFlight(runs: [number, number][], window: { from: number; to: number }): { peak: number; mean: number } {
  const edges = runs
    .flatMap(([s, e]): [number, number][] => [
      [s, 1],
      [e, -1],
    ])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  let area = 0;
  let last = window.from;
  for (const [t, delta] of edges) {
    area += current * (Math.min(t, window.to) - Math.max(last, window.from));
    last = t;
    current += delta;
    peak = Math.max(peak, current);
  }
  return { peak, mean: area / Math.max(1, window.to - window.from) };
}

function nsd(input: { vnfrs: number; type: string; vnfcs: number; workload: Workload }): NetworkServiceDescriptor {
  const names = Array.from({ length: input.vnfrs }, (_v, i) => `v${i + 1}`);
  return {
    name: 'bench-scale',
    vnfd: names.map((name) => ({
      name,
      type: input.type,
      endpoint: input.type,
      lifecycle_event: input.workload.events.map((event) => ({ event, lifecycle_events: [...input.workload.scripts] })),
      vdu: [
        {
          name: 'vdu',
          vm_image: ['bench'],
          scale_in_out: input.vnfcs,
          vnfc: Array.from({ length: input.vnfcs }, () => ({ connection_point: [{ virtual_link_reference: NETWORK }] })),
        },
      ],
    })),
    // A ring (v1 ← v2 ← … ← vN ← v1) so that every VNFR is a dependency target and gets MODIFY → CONFIGURE.
    vnf_dependency: names.map((target, i) => ({
      source: { name: names[(i + 1) % names.length] ?? target },
      target: { name: target },
      parameters: [NETWORK],
    })),
  };
}

/**
 * One round of the deployment's commands on every agent before either run is measured: both uploads, a
 * dependency, both executions. The farms are fresh processes, and without this the run measured first (the
 * deployment) paid their JIT warm-up and first heap growth, about 1 s of farm CPU in `perf`, which the floor,
 * measured second on the same processes, did not.
 */
async function warmUp(
  ems: EmsClient,
  input: { type: string; hostnames: string[]; concurrency: number; scripts: readonly string[] },
): Promise<void> {
  // The workload's script names with no-op content (the deployment saves the real content again): a warm-up of
  // scripts that take real time would take long and warm up nothing more.
  const { type, hostnames, concurrency } = input;
  const SCRIPTS = input.scripts;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let hostname = hostnames[next++]; hostname !== undefined; hostname = hostnames[next++]) {
        const env = { [NETWORK]: '127.10.0.2', hostname };
        // send() throws on a non-zero status.
        await Promise.all(SCRIPTS.map((name) => ems.saveScript(hostname, { name, content: NOOP })));
        await ems.saveVnfrDependency(hostname, { target: 'warm-up', parameters: { [type]: { parameters: env } } });
        for (const payload of SCRIPTS) await ems.execute(hostname, { payload, env, timeoutMs: 120_000 });
      }
    }),
  );
}

/** The floor: `jobs` (per agent: its executions in order) through `concurrency` workers, one agent per worker at a time. */
async function floorRun(
  ems: EmsClient,
  input: { jobs: { hostname: string; env: Record<string, string> }[]; concurrency: number; workload: Workload },
): Promise<number> {
  const { jobs, concurrency, workload } = input;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
        for (let e = 0; e < workload.events.length; e++) {
          for (const script of workload.scripts) {
            const reply = await ems.execute(job.hostname, { payload: script, env: job.env, timeoutMs: 120_000 });
            if (reply.status !== 0) throw new Error(`floor: ${script} on ${job.hostname} exited ${reply.status}`);
          }
        }
      }
    }),
  );
  return performance.now() - t0;
}

/** What one deployment (and its floor) measured. */
export interface DeploymentRun {
  vnfrs: number;
  vnfcsPerVnfr: number;
  executions: number;
  wallMs: number;
  /** NaN when the floor was not measured. */
  floorMs: number;
  floorConcurrency: number;
  vnfmRssMb: number;
  vnfmCpuS: number;
  /** Highest RSS of the broker sampled during the deployment, and before the agents booted. */
  brokerRssMb: number;
  brokerRssBeforeMb: number;
  /** Broker connections at the end of the deployment: of this run (its vhost) and in all. */
  brokerConnections: { ours: number; all: number };
  vnfmInFlight: { peak: number; mean: number };
  floorInFlight: { peak: number; mean: number };
  cpu: { before: CpuSplit; deployed: CpuSplit; floored: CpuSplit };
}

type CpuSplit = Awaited<ReturnType<typeof cpuSplit>>;

/** One deployment through the Generic VNFM (and, unless `floor: false`, its floor), measured; no rows. */
export async function runDeployment(root: string, options: DeploymentScaleOptions = optionsFromEnv()): Promise<DeploymentRun> {
  ensureVnfmBuilt();
  const { vnfrs } = options;
  const vnfcsPerVnfr = options.vnfcsPerVnfr ?? 2;
  const workload = options.workload ?? NOOP_WORKLOAD;
  const agentsTotal = vnfrs * vnfcsPerVnfr;
  const executions = agentsTotal * workload.events.length * workload.scripts.length;
  const type = `bench${randomBytes(3).toString('hex')}`;
  const vhost = privateVhost();
  const closers: (() => Promise<void>)[] = [async () => vhost.remove()];
  try {
    const broker = brokerPid();
    const brokerRssBeforeMb = await rssMb(broker).catch(() => NaN);
    const transport: Transport = await createAmqpTransport({ url: vhost.url, connectionName: 'vnfkit-bench-nfvo' });
    closers.push(() => transport.close());
    const hostnames = Array.from({ length: vnfrs }, (_v, i) =>
      Array.from({ length: vnfcsPerVnfr }, (_w, c) => `v${i + 1}-${c + 1}`),
    ).flat();
    const sim = await NfvoSimulator.create({
      transport,
      vim: new PoolVim(new Set(hostnames)),
      brokerUrl: vhost.url,
      commandTimeoutMs: options.deployTimeoutMs,
    });
    closers.push(() => sim.close());

    const vnfmDirectory = await mkdtemp(join(root, 'vnfm-'));
    const vnfm = startVnfm({ url: vhost.url, type, dir: vnfmDirectory, concurrency: options.vnfmConcurrency, env: options.vnfmEnv });
    closers.push(() => stopChild(vnfm));
    const vnfmExit = new Promise<never>((_resolve, reject) => {
      vnfm.once('exit', (code, signal) =>
        reject(new Error(`the Generic VNFM exited (${signal ?? code ?? '?'}); is everything built (pnpm build)?`)),
      );
    });
    vnfmExit.catch(() => undefined);
    await Promise.race([sim.waitForVnfm(type, { timeoutMs: 30_000 }), vnfmExit]);
    // The hellos must not be lost if the agents are faster than the VNFM's EMS client: the queue exists now.
    await transport.declareQueue(`ems.${type}.register`, { durable: true, autoDelete: true });

    // The VMs' disks: in memory when possible. Real VMs fsync their execution records on disks of their own; 400
    // agents fsyncing on one shared disk would measure that disk, for the VNFM run and the floor alike.
    const vmRoot = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : root, 'vnfkit-bench-vms-'));
    closers.push(() => rm(vmRoot, { recursive: true, force: true }));
    // Each agent keeps its execution journal open: a farm holds one file descriptor per agent (+ ~50).
    const farmCount = Math.min(options.farms, agentsTotal);
    const fdLimit = openFilesLimit();
    if (Math.ceil(agentsTotal / farmCount) + 64 > fdLimit) {
      throw new Error(
        `${Math.ceil(agentsTotal / farmCount)} agents per farm need more than the ${fdLimit} open files a process may have here: raise VNFKIT_BENCH_FARMS or the hard limit (ulimit -Hn)`,
      );
    }
    // Closed before their directories are removed (the closers run in reverse).
    const farms = Array.from({ length: farmCount }, () => new Farm());
    closers.push(async () => {
      await Promise.all(farms.map((f) => f.close()));
    });
    // Hosts are dealt round-robin: VNFRs are deployed (and the floor's jobs taken) in name order, so with
    // contiguous shares only one farm would be busy at a time, its event loop (blocked ~3 ms per script
    // spawn) the bottleneck of the VNFM run and the floor alike.
    await Promise.all(
      farms.map((farm, f) =>
        farm.ask({
          kind: 'boot',
          amqpUrl: vhost.url,
          emsType: type,
          root: vmRoot,
          hostnames: hostnames.filter((_h, i) => i % farms.length === f),
          agentsPerLink: options.agentsPerLink,
        }),
      ),
    );

    if (options.pinVnfm) {
      const farmPids = farms.map((f) => f.child.pid ?? 0);
      const outliving = [process.pid, ...(broker !== undefined ? [broker] : [])];
      const restore = pinApart({ vnfm: vnfm.pid ?? 0, others: [...outliving, ...farmPids], outliving });
      closers.push(async () => restore());
    }
    const ems = new EmsClient({ transport, endpoint: type });
    await warmUp(ems, { type, hostnames, concurrency: WARM_UP_CONCURRENCY, scripts: workload.scripts });
    await Promise.all(farms.map((f) => f.runs())); // forgets the warm-up's runs

    // The deployment.
    const brokerRss = rssSampler(broker);
    const cpu0 = await cpuSplit({ farms, broker, vnfm });
    const vnfmCpu0 = await cpuSeconds(vnfm.pid);
    const t0 = performance.now();
    const from = performance.timeOrigin + t0;
    const scripts = Object.fromEntries(workload.scripts.map((s) => [s, workload.content]));
    const nsrId = await sim.deploy(nsd({ vnfrs, type, vnfcs: vnfcsPerVnfr, workload }), {
      packages: Object.fromEntries(Array.from({ length: vnfrs }, (_v, i) => [`v${i + 1}`, { scripts }])),
    });
    await Promise.race([sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: options.deployTimeoutMs }), vnfmExit]);
    const wallMs = performance.now() - t0;
    const vnfmRssMb = await peakRssMb(vnfm.pid);
    const vnfmCpuS = (await cpuSeconds(vnfm.pid)) - vnfmCpu0;
    const cpu1 = await cpuSplit({ farms, broker, vnfm });
    const brokerRssMb = await brokerRss.stop();
    const connections = brokerConnections(vhost.url);
    const runs = (await Promise.all(farms.map((f) => f.runs()))).flat();
    if (runs.length !== executions) throw new Error(`deployment ran ${runs.length} scripts, expected ${executions}`);
    const vnfmInFlight = inFlight(runs, { from, to: from + wallMs });

    // The floor: the same executions (same scripts, an environment of the same shape) straight to the same agents,
    // at the peak concurrency the VNFM reached.
    const concurrency = Math.max(1, vnfmInFlight.peak);
    let floorMs = NaN;
    let floorInFlight = { peak: NaN, mean: NaN };
    let cpu2 = cpu1;
    if (options.floor !== false) {
      const jobs = sim
        .vnfrsOf(nsrId)
        .flatMap((v) => (v.vdu ?? []).flatMap((d) => d.vnfc_instance ?? []))
        .map((c) => ({
          hostname: c.hostname ?? '',
          env: { [NETWORK]: c.ips?.[0]?.ip ?? '', hostname: c.hostname ?? '' },
        }))
        .sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
      const floorFrom = performance.timeOrigin + performance.now();
      floorMs = await floorRun(ems, { jobs, concurrency, workload });
      cpu2 = await cpuSplit({ farms, broker, vnfm });
      const floorRuns = (await Promise.all(farms.map((f) => f.runs()))).flat();
      if (floorRuns.length !== executions) throw new Error(`floor ran ${floorRuns.length} scripts, expected ${executions}`);
      floorInFlight = inFlight(floorRuns, { from: floorFrom, to: floorFrom + floorMs });
    }
    return {
      vnfrs,
      vnfcsPerVnfr,
      executions,
      wallMs,
      floorMs,
      floorConcurrency: concurrency,
      vnfmRssMb,
      vnfmCpuS,
      brokerRssMb,
      brokerRssBeforeMb,
      brokerConnections: connections,
      vnfmInFlight,
      floorInFlight,
      cpu: { before: cpu0, deployed: cpu1, floored: cpu2 },
    };
  } finally {
    for (const close of closers.reverse())
      await close().catch((error: unknown) => console.error(`deployment-scale clean-up: ${String(error)}`));
  }
}

export async function deploymentScale(root: string, rows: Row[], options: DeploymentScaleOptions = optionsFromEnv()): Promise<void> {
  const r = await runDeployment(root, options);
  const { before: cpu0, deployed: cpu1, floored: cpu2 } = r.cpu;
  const { wallMs, floorMs, executions, vnfmInFlight, floorInFlight } = r;
  const label = `${r.vnfrs} VNFRs × ${r.vnfcsPerVnfr} VNFCs, ${executions} executions${options.pinVnfm ? '; the VNFM on a CPU of its own' : ''}`;
  rows.push(
    {
      benchmark: 'Deployment scale',
      figure: `wall time, deploy → ACTIVE (${label})`,
      value: round(wallMs / 1000, 2),
      unit: 's',
      floor: round(floorMs / 1000, 2),
      ratio: round(wallMs / floorMs, 2),
      target: '≤ 1.3',
    },
    {
      benchmark: 'Deployment scale',
      figure: 'executions/s',
      value: round(executions / (wallMs / 1000), 1),
      unit: 'exec/s',
      floor: round(executions / (floorMs / 1000), 1),
    },
    { benchmark: 'Deployment scale', figure: 'VNFM peak RSS (VmHWM)', value: round(r.vnfmRssMb, 1), unit: 'MB', target: '≤ 150 MB' },
    {
      benchmark: 'Deployment scale',
      figure: 'VNFM CPU time (user + system) during the deployment',
      value: round(r.vnfmCpuS, 2),
      unit: 's',
    },
    // Where the CPU went (the floor has no VNFM): on a machine that runs everything, the ratio follows these sums.
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: agent farms (agents, not their scripts)',
      value: round(cpu1.farms - cpu0.farms, 2),
      unit: 's',
      floor: round(cpu2.farms - cpu1.farms, 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: RabbitMQ',
      value: round(cpu1.broker - cpu0.broker, 2),
      unit: 's',
      floor: round(cpu2.broker - cpu1.broker, 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: NFVO simulator (deployment) / EmsClient (floor)',
      value: round(cpu1.bench - cpu0.bench, 2),
      unit: 's',
      floor: round(cpu2.bench - cpu1.bench, 2),
    },
    // Busy CPU of the whole machine (scripts included). When it is close to wall time × cores, the run is
    // CPU-bound and the wall-time ratio follows this one; without the VNFM's own CPU it shows what the rest of
    // a deployment (NFVO traffic, uploads, the agents' and the broker's share) costs by itself.
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: whole machine, busy',
      value: round(cpu1.machine - cpu0.machine, 2),
      unit: 's',
      floor: round(cpu2.machine - cpu1.machine, 2),
      ratio: round((cpu1.machine - cpu0.machine) / (cpu2.machine - cpu1.machine), 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: whole machine, busy, without the VNFM',
      value: round(cpu1.machine - cpu0.machine - (cpu1.vnfm - cpu0.vnfm), 2),
      unit: 's',
      floor: round(cpu2.machine - cpu1.machine, 2),
      ratio: round((cpu1.machine - cpu0.machine - (cpu1.vnfm - cpu0.vnfm)) / (cpu2.machine - cpu1.machine), 2),
    },
    { benchmark: 'Deployment scale', figure: 'executions in flight at the agents, VNFM: peak', value: vnfmInFlight.peak, unit: 'exec' },
    {
      benchmark: 'Deployment scale',
      figure: 'executions in flight at the agents, VNFM: mean',
      value: round(vnfmInFlight.mean, 1),
      unit: 'exec',
    },
    {
      benchmark: 'Deployment scale',
      figure: `floor: EmsClient → agents, concurrency ${r.floorConcurrency}: wall time`,
      value: round(floorMs / 1000, 2),
      unit: 's',
    },
    { benchmark: 'Deployment scale', figure: 'floor: executions in flight, mean', value: round(floorInFlight.mean, 1), unit: 'exec' },
  );
}
