// Benchmark 2: deployment scale — one Generic VNFM deploys N VNFRs × 2 VNFCs (default N = 200, 400 agents)
// through the NFVO simulator: INSTANTIATE, CONFIGURE and START with two no-op scripts each (12 executions per
// VNFR). Floor: the same executions of the same scripts sent straight to the same agents by an EmsClient at the
// concurrency the VNFM reached (executions in flight at the agents, measured), once before and once after the
// deployment; the floor is their mean, so a drift of the machine or of the farms over the run cancels out. `runDeployment` is the same run with
// other shapes (VNFCs per VNFR, scripts, the VNFM's environment, no floor) for upstream-model.ts and scale-large.ts.
//
// Processes: the VNFM is its own child (the real `generic-vnfm` bin from dist, so its VmHWM is the VNFM's alone);
// the agents run in-process in a few "agent farm" children sharing AMQP connections; the simulator, the VIM that
// hands out the farm's VMs, and the floor's EmsClient run here. Everything lives on a private RabbitMQ vhost
// (the Open Baton queue names are fixed, and other suites may use the broker at the same time).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { NfvoSimulator } from '@vnfkit/vnfm-sdk/testing';
import { Farm, openFilesLimit } from './deployment/farm.js';
import { NETWORK, NOOP_WORKLOAD, nsd, type Workload } from './deployment/nsd.js';
import { PoolVim } from './deployment/pool-vim.js';
import { privateVhost } from './deployment/vhost.js';
import { ensureVnfmBuilt, startVnfm, stopChild } from './deployment/vnfm-process.js';
import { pinApart } from './measure/affinity.js';
import { brokerConnections, brokerPid } from './measure/broker.js';
import { startCpuProfile } from './measure/cpu-profile.js';
import { inFlight } from './measure/in-flight.js';
import { contextSwitches, cpuSeconds, cpuSplit, peakRssMb, rssMb, rssSampler, type CpuSplit } from './measure/process.js';
import { round, type Row } from './table.js';

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
  /**
   * Deployments (each with its own floor, VNFM and farms) in the run; the table shows the one with the median ratio
   * and a row with every round's ratio. The ratio of one round moves by ± 0.1–0.2 on a shared machine. Env
   * `VNFKIT_BENCH_ROUNDS`. @default 3 from the environment, 1 in code
   */
  rounds?: number;
  /**
   * Where the VNFM keeps its journal, script logs and resume records (a directory per round is made in it). Env
   * `VNFKIT_BENCH_VNFM_DIR`. @default the run's temporary directory
   */
  vnfmDir?: string | undefined;
  /**
   * VNFRs of an unmeasured deployment (on agents of their own) that the VNFM and the simulator run before anything
   * is measured, so that the measured one runs on warm processes, as the floor's client and the farms do and as a
   * long-running VNFM does; 0 measures a fresh VNFM (its JIT warm-up, ≈ 20 % of its CPU, included). Env
   * `VNFKIT_BENCH_WARM_VNFRS`. @default 300 from the environment, 0 in code
   */
  warmVnfrs?: number;
}

const NOOP = NOOP_WORKLOAD.content;
/** Agents warmed up at once (the VNFM's default 10 NFVO commands × 2 VNFCs). */
const WARM_UP_CONCURRENCY = 20;
/** The Generic VNFM's default `concurrency` (NFVO commands at once; examples/generic-vnfm/src/config.ts). */
const VNFM_DEFAULT_CONCURRENCY = 10;

/** An integer setting ≥ `min` (@default 1) from the environment, or `fallback` when unset. */
function envInt(name: string, fallback: number, min?: number): number;
function envInt(name: string, fallback: undefined): number | undefined;
function envInt(name: string, fallback: number | undefined, min = 1): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
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
    rounds: envInt('VNFKIT_BENCH_ROUNDS', 3),
    vnfmDir: process.env['VNFKIT_BENCH_VNFM_DIR'] || undefined,
    warmVnfrs: envInt('VNFKIT_BENCH_WARM_VNFRS', 300, 0),
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

/** One measured floor run: wall time, the CPU it took, the executions in flight at the agents. */
interface FloorRun {
  ms: number;
  concurrency: number;
  cpu: CpuSplit;
  inFlight: { peak: number; mean: number };
}

/** The deltas of a CPU split between two samples. */
function cpuDelta(from: CpuSplit, to: CpuSplit): CpuSplit {
  return {
    bench: to.bench - from.bench,
    farms: to.farms - from.farms,
    broker: to.broker - from.broker,
    vnfm: to.vnfm - from.vnfm,
    machine: to.machine - from.machine,
  };
}

/** The mean of two CPU splits. */
function cpuMean(a: CpuSplit, b: CpuSplit): CpuSplit {
  return {
    bench: (a.bench + b.bench) / 2,
    farms: (a.farms + b.farms) / 2,
    broker: (a.broker + b.broker) / 2,
    vnfm: (a.vnfm + b.vnfm) / 2,
    machine: (a.machine + b.machine) / 2,
  };
}

/** What one deployment (and its floor) measured. */
export interface DeploymentRun {
  vnfrs: number;
  vnfcsPerVnfr: number;
  executions: number;
  /** The VNFM ran on a CPU of its own. */
  pinned: boolean;
  /** The unmeasured warm-up deployment: its VNFRs and the executions its agents ran (0 and 0 without one). */
  warmUp: { vnfrs: number; executions: number };
  wallMs: number;
  /** The mean of the floor runs before and after the deployment; NaN when the floor was not measured. */
  floorMs: number;
  /** The floor runs' wall times, before and after the deployment (NaN when not measured). */
  floorRunsMs: { before: number; after: number };
  floorConcurrency: number;
  vnfmRssMb: number;
  vnfmCpuS: number;
  /** The VNFM's context switches during the deployment (all its threads; see `contextSwitches`). */
  vnfmSwitches: { voluntary: number; involuntary: number };
  /** Highest RSS of the broker sampled during the deployment, and before the agents booted. */
  brokerRssMb: number;
  brokerRssBeforeMb: number;
  /** Broker connections at the end of the deployment: of this run (its vhost) and in all. */
  brokerConnections: { ours: number; all: number };
  vnfmInFlight: { peak: number; mean: number };
  floorInFlight: { peak: number; mean: number };
  /** CPU seconds the deployment took, and the mean of the two floor runs' (NaN without a floor). */
  cpu: { deployment: CpuSplit; floor: CpuSplit };
}
const ratioOf = (r: DeploymentRun): number => r.wallMs / r.floorMs;

/**
 * The CPU-seconds that ≤ 1.3 × the floor leaves the VNFM on a machine it shares: 1.3 × the floor's busy CPU minus
 * what the rest of the deployment (broker, agents, simulator, scripts) used. When every CPU is busy in both runs,
 * wall time follows busy CPU, so a VNFM that uses more than this cannot meet the target in that run.
 */
const vnfmBudgetOf = (r: DeploymentRun): number => 1.3 * r.cpu.floor.machine - (r.cpu.deployment.machine - r.cpu.deployment.vnfm);

/**
 * The share of the machine's CPUs that were busy over a run: near 100 % the run is CPU-bound and its wall time follows
 * busy CPU; a lower share in the deployment than in its floor is time the deployment left CPUs idle (waiting).
 */
const busyShareOf = (r: DeploymentRun): { deployment: number; floor: number } => {
  const cpus = availableParallelism();
  return {
    deployment: (100 * r.cpu.deployment.machine) / ((r.wallMs / 1000) * cpus),
    floor: (100 * r.cpu.floor.machine) / ((r.floorMs / 1000) * cpus),
  };
};

/** One round in a line (stderr): its ratios and where the CPU went. */
function describeRound(r: DeploymentRun): string {
  const { deployment: d, floor: f } = r.cpu;
  const busy = busyShareOf(r);
  return [
    `ratio ${round(ratioOf(r), 2)} (${round(r.wallMs / 1000, 2)} s against the floor's ${round(r.floorRunsMs.before / 1000, 2)} s before and ${round(r.floorRunsMs.after / 1000, 2)} s after)`,
    `busy CPU ${round(d.machine, 2)} / ${round(f.machine, 2)} s (${round(d.machine / f.machine, 2)}; without the VNFM ${round((d.machine - d.vnfm) / f.machine, 2)}; CPUs busy ${round(busy.deployment, 1)} / ${round(busy.floor, 1)} %)`,
    `VNFM ${round(d.vnfm, 2)} s${r.pinned ? '' : `, budget at 1.3 ${round(vnfmBudgetOf(r), 2)} s`}`,
    `simulator ${round(d.bench, 2)} / EmsClient ${round(f.bench, 2)} s`,
    `farms ${round(d.farms, 2)} / ${round(f.farms, 2)} s`,
    `broker ${round(d.broker, 2)} / ${round(f.broker, 2)} s`,
  ].join('; ');
}

/** CLOCK_MONOTONIC in µs: the clock of V8's CPU profiles (`startTime`, `endTime`), to cut them into the runs. */
function profileClock(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/**
 * With a CPU profile (or VNFKIT_BENCH_WINDOWS=1) asked for, prints the window of a run in the profiles' clock:
 * `window <run> <from µs> <to µs>`.
 */
function printWindow(run: string, from: bigint): void {
  if (['VNFKIT_BENCH_VNFM_CPU_PROF', 'VNFKIT_BENCH_FARM_CPU_PROF', 'VNFKIT_BENCH_WINDOWS'].some((name) => process.env[name]))
    console.error(`window ${run} ${from} ${profileClock()}`);
}

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
    const vmsOf = (prefix: string, count: number): string[] =>
      Array.from({ length: count }, (_v, i) => Array.from({ length: vnfcsPerVnfr }, (_w, c) => `${prefix}${i + 1}-${c + 1}`)).flat();
    const hostnames = vmsOf('v', vnfrs);
    const warmVnfrs = options.warmVnfrs ?? 0;
    const warmHostnames = vmsOf('w', warmVnfrs);
    const sim = await NfvoSimulator.create({
      transport,
      vim: new PoolVim(new Set([...hostnames, ...warmHostnames])),
      brokerUrl: vhost.url,
      commandTimeoutMs: options.deployTimeoutMs,
    });
    closers.push(() => sim.close());

    // A directory per round (an empty journal for each VNFM), left in place until the run's temporary directory goes
    // (as before VNFKIT_BENCH_VNFM_DIR: on an ext4 without a journal, every file deleted in the last minutes slows
    // the creation of the next one, see docs/performance.md); one elsewhere is removed with its round.
    const vnfmDirectory = await mkdtemp(join(options.vnfmDir ?? root, 'vnfm-'));
    if (options.vnfmDir !== undefined) closers.push(() => rm(vnfmDirectory, { recursive: true, force: true }));
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
    const perFarm = Math.max(Math.ceil(agentsTotal / farmCount), warmHostnames.length);
    if (perFarm + 64 > fdLimit) {
      throw new Error(
        `${perFarm} agents per farm need more than the ${fdLimit} open files a process may have here: raise VNFKIT_BENCH_FARMS or the hard limit (ulimit -Hn)`,
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
    // A whole unmeasured floor pass too: one round left the farms warming up through the next run (its floor ran
    // 10–40 % slower than the same floor after the deployment).
    await floorRun(ems, {
      jobs: hostnames.map((hostname) => ({ hostname, env: { [NETWORK]: '127.10.0.2', hostname } })),
      concurrency: WARM_UP_CONCURRENCY,
      workload,
    });
    let warmExecutions = 0;
    if (warmVnfrs > 0) {
      // The VNFM's and the simulator's warm-up: a deployment of its own, with no-op scripts, on the `w…` agents of a
      // farm of their own, terminated and gone before anything is measured (the measured farms keep their size:
      // a bigger farm forks its scripts more slowly, in the floor as in the deployment).
      const warmFarm = new Farm();
      closers.push(() => warmFarm.close());
      await warmFarm.ask({
        kind: 'boot',
        amqpUrl: vhost.url,
        emsType: type,
        root: vmRoot,
        hostnames: warmHostnames,
        agentsPerLink: options.agentsPerLink,
      });
      const warm = { ...workload, content: NOOP, scriptMs: 0 };
      const warmScripts = Object.fromEntries(warm.scripts.map((s) => [s, warm.content]));
      const warmNsr = await sim.deploy(nsd({ vnfrs: warmVnfrs, type, vnfcs: vnfcsPerVnfr, workload: warm, prefix: 'w' }), {
        packages: Object.fromEntries(Array.from({ length: warmVnfrs }, (_v, i) => [`w${i + 1}`, { scripts: warmScripts }])),
      });
      await Promise.race([sim.waitForNsStatus(warmNsr, 'ACTIVE', { timeoutMs: options.deployTimeoutMs }), vnfmExit]);
      await Promise.race([sim.terminate(warmNsr), vnfmExit]);
      warmExecutions = (await warmFarm.runs()).length;
      await warmFarm.close();
    }
    await Promise.all(farms.map((f) => f.runs())); // forgets the warm-up's runs

    // The floor, first run: at the concurrency the VNFM reaches (its NFVO commands at once × VNFCs each, checked
    // against the measured peak below). The environment has the shape of the deployment's (an IP, the hostname).
    const floorOf = async (concurrency: number, jobs: { hostname: string; env: Record<string, string> }[]): Promise<FloorRun> => {
      const c0 = await cpuSplit({ farms, broker, vnfm });
      const from = performance.timeOrigin + performance.now();
      const w0 = profileClock();
      const ms = await floorRun(ems, { jobs, concurrency, workload });
      printWindow('floor', w0);
      const cpu = cpuDelta(c0, await cpuSplit({ farms, broker, vnfm }));
      const floorRuns = (await Promise.all(farms.map((f) => f.runs()))).flat();
      if (floorRuns.length !== executions) throw new Error(`floor ran ${floorRuns.length} scripts, expected ${executions}`);
      return { ms, concurrency, cpu, inFlight: inFlight(floorRuns, { from, to: from + ms }) };
    };
    const expectedPeak = Math.min(agentsTotal, (options.vnfmConcurrency ?? VNFM_DEFAULT_CONCURRENCY) * vnfcsPerVnfr);
    const floorBefore =
      options.floor === false
        ? undefined
        : await floorOf(
            expectedPeak,
            [...hostnames]
              .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
              .map((hostname) => ({ hostname, env: { [NETWORK]: '127.10.0.2', hostname } })),
          );

    // The deployment.
    const brokerRss = rssSampler(broker);
    const cpu0 = await cpuSplit({ farms, broker, vnfm });
    const vnfmCpu0 = await cpuSeconds(vnfm.pid);
    const vnfmSwitches0 = await contextSwitches(vnfm.pid);
    const t0 = performance.now();
    const from = performance.timeOrigin + t0;
    const w0 = profileClock();
    // VNFKIT_BENCH_SIM_CPU_PROF=<dir>: a V8 CPU profile of this process (the simulator) over the deployment alone.
    const simProfileDir = process.env['VNFKIT_BENCH_SIM_CPU_PROF'];
    const simProfile = simProfileDir ? await startCpuProfile(simProfileDir, 'simulator') : undefined;
    const scripts = Object.fromEntries(workload.scripts.map((s) => [s, workload.content]));
    const nsrId = await sim.deploy(nsd({ vnfrs, type, vnfcs: vnfcsPerVnfr, workload }), {
      packages: Object.fromEntries(Array.from({ length: vnfrs }, (_v, i) => [`v${i + 1}`, { scripts }])),
    });
    await Promise.race([sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: options.deployTimeoutMs }), vnfmExit]);
    const wallMs = performance.now() - t0;
    printWindow('deployment', w0);
    const vnfmRssMb = await peakRssMb(vnfm.pid);
    const vnfmCpuS = (await cpuSeconds(vnfm.pid)) - vnfmCpu0;
    const vnfmSwitches1 = await contextSwitches(vnfm.pid);
    const vnfmSwitches = {
      voluntary: vnfmSwitches1.voluntary - vnfmSwitches0.voluntary,
      involuntary: vnfmSwitches1.involuntary - vnfmSwitches0.involuntary,
    };
    const cpu1 = await cpuSplit({ farms, broker, vnfm });
    if (simProfile) console.error(`simulator CPU profile: ${await simProfile.stop()}`);
    const brokerRssMb = await brokerRss.stop();
    const connections = brokerConnections(vhost.url);
    const runs = (await Promise.all(farms.map((f) => f.runs()))).flat();
    if (runs.length !== executions) throw new Error(`deployment ran ${runs.length} scripts, expected ${executions}`);
    const vnfmInFlight = inFlight(runs, { from, to: from + wallMs });

    // The floor, second run: the same executions (same scripts, the VNFCs' own environment) straight to the same
    // agents, at the peak concurrency the VNFM reached.
    const concurrency = Math.max(1, vnfmInFlight.peak);
    let floorAfter: FloorRun | undefined;
    if (options.floor !== false) {
      const jobs = sim
        .vnfrsOf(nsrId)
        .flatMap((v) => (v.vdu ?? []).flatMap((d) => d.vnfc_instance ?? []))
        .map((c) => ({
          hostname: c.hostname ?? '',
          env: { [NETWORK]: c.ips?.[0]?.ip ?? '', hostname: c.hostname ?? '' },
        }))
        .sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
      floorAfter = await floorOf(concurrency, jobs);
    }
    // The mean of both runs; the first only counts when it ran at the concurrency the VNFM actually reached.
    const floors = [floorBefore, floorAfter].filter((f): f is FloorRun => f !== undefined && f.concurrency === concurrency);
    if (floorBefore !== undefined && floorBefore.concurrency !== concurrency)
      console.error(
        `note: deployment-scale: the VNFM peaked at ${concurrency} executions, not ${floorBefore.concurrency}: floor from the second run only`,
      );
    const floorMs = floors.length === 0 ? NaN : floors.reduce((sum, f) => sum + f.ms, 0) / floors.length;
    const nanSplit: CpuSplit = { bench: NaN, farms: NaN, broker: NaN, vnfm: NaN, machine: NaN };
    const floorCpu = floors.length === 0 ? nanSplit : floors.length === 1 ? floors[0]!.cpu : cpuMean(floors[0]!.cpu, floors[1]!.cpu);
    const floorInFlight =
      floors.length === 0
        ? { peak: NaN, mean: NaN }
        : {
            peak: Math.max(...floors.map((f) => f.inFlight.peak)),
            mean: floors.reduce((sum, f) => sum + f.inFlight.mean, 0) / floors.length,
          };
    return {
      vnfrs,
      vnfcsPerVnfr,
      executions,
      pinned: options.pinVnfm,
      warmUp: { vnfrs: warmVnfrs, executions: warmExecutions },
      wallMs,
      floorMs,
      floorRunsMs: { before: floorBefore?.ms ?? NaN, after: floorAfter?.ms ?? NaN },
      floorConcurrency: concurrency,
      vnfmRssMb,
      vnfmCpuS,
      vnfmSwitches,
      brokerRssMb,
      brokerRssBeforeMb,
      brokerConnections: connections,
      vnfmInFlight,
      floorInFlight,
      cpu: { deployment: cpuDelta(cpu0, cpu1), floor: floorCpu },
    };
  } finally {
    for (const close of closers.reverse())
      await close().catch((error: unknown) => console.error(`deployment-scale clean-up: ${String(error)}`));
  }
}

export async function deploymentScale(root: string, rows: Row[], options: DeploymentScaleOptions = optionsFromEnv()): Promise<void> {
  const rounds: DeploymentRun[] = [];
  for (let i = 0; i < (options.rounds ?? 1); i++) {
    rounds.push(await runDeployment(root, options));
    if ((options.rounds ?? 1) > 1) console.error(`deployment-scale: round ${rounds.length}: ${describeRound(rounds.at(-1)!)}`);
  }
  const ratios = rounds.map(ratioOf);
  // The round with the median ratio (the lower middle one of an even count) stands for the run.
  const median = [...ratios].sort((a, b) => a - b)[Math.floor((ratios.length - 1) / 2)]!;
  const r = rounds[ratios.indexOf(median)]!;
  if (rounds.length > 1)
    rows.push({
      benchmark: 'Deployment scale',
      figure: `wall time / floor, median of ${rounds.length} rounds (each: ${ratios.map((x) => round(x, 2)).join(', ')}); this row and the rows below are that round's`,
      value: round(r.wallMs / 1000, 2),
      unit: 's',
      floor: round(r.floorMs / 1000, 2),
      ratio: round(median, 2),
      target: '≤ 1.3',
    });
  const { deployment: dep, floor: flo } = r.cpu;
  const busy = busyShareOf(r);
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
    // Where the CPU went (the floor has no VNFM; its CPU is the mean of its two runs): on a machine that runs
    // everything, the ratio follows these sums.
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: agent farms (agents, not their scripts)',
      value: round(dep.farms, 2),
      unit: 's',
      floor: round(flo.farms, 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: RabbitMQ',
      value: round(dep.broker, 2),
      unit: 's',
      floor: round(flo.broker, 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: NFVO simulator (deployment) / EmsClient (floor)',
      value: round(dep.bench, 2),
      unit: 's',
      floor: round(flo.bench, 2),
    },
    // Busy CPU of the whole machine (scripts included). When it is close to wall time × cores, the run is
    // CPU-bound and the wall-time ratio follows this one; without the VNFM's own CPU it shows what the rest of
    // a deployment (NFVO traffic, uploads, the agents' and the broker's share) costs by itself.
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: whole machine, busy',
      value: round(dep.machine, 2),
      unit: 's',
      floor: round(flo.machine, 2),
      ratio: round(dep.machine / flo.machine, 2),
    },
    {
      benchmark: 'Deployment scale',
      figure: "CPU: share of the machine's CPUs busy over the run",
      value: round(busy.deployment, 1),
      unit: '%',
      floor: round(busy.floor, 1),
    },
    {
      benchmark: 'Deployment scale',
      figure: 'CPU: whole machine, busy, without the VNFM',
      value: round(dep.machine - dep.vnfm, 2),
      unit: 's',
      floor: round(flo.machine, 2),
      ratio: round((dep.machine - dep.vnfm) / flo.machine, 2),
    },
    // On a machine the VNFM shares only: on a CPU of its own, its CPU does not add to the others' wall time.
    ...(options.pinVnfm
      ? []
      : [
          {
            benchmark: 'Deployment scale',
            figure: 'CPU: what ≤ 1.3 × the floor leaves the VNFM (1.3 × the floor machine − the deployment machine without the VNFM)',
            value: round(vnfmBudgetOf(r), 2),
            unit: 's',
          },
        ]),
    {
      benchmark: 'Deployment scale',
      figure: 'CPU per execution: Generic VNFM (deployment) / EmsClient (floor)',
      value: round((dep.vnfm * 1000) / executions, 2),
      unit: 'ms',
      floor: round((flo.bench * 1000) / executions, 2),
    },
    // All the VNFM's threads: its main thread is preempted (involuntary) more often than it waits; the voluntary ones
    // are mostly libuv's pool, woken for each journal fdatasync, and V8's workers (docs/performance.md, sixth session).
    {
      benchmark: 'Deployment scale',
      figure: 'VNFM context switches during the deployment: voluntary (waits)',
      value: r.vnfmSwitches.voluntary,
      unit: 'switches',
    },
    {
      benchmark: 'Deployment scale',
      figure: 'VNFM context switches during the deployment: involuntary (preempted)',
      value: r.vnfmSwitches.involuntary,
      unit: 'switches',
    },
    {
      benchmark: 'Deployment scale',
      figure: `warm-up of the VNFM and the simulator before anything is measured: ${r.warmUp.executions} executions`,
      value: r.warmUp.vnfrs,
      unit: 'VNFRs',
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
      figure: `floor: EmsClient → agents, concurrency ${r.floorConcurrency}: wall time, run before the deployment`,
      value: round(r.floorRunsMs.before / 1000, 2),
      unit: 's',
    },
    {
      benchmark: 'Deployment scale',
      figure: 'floor: wall time, run after the deployment',
      value: round(r.floorRunsMs.after / 1000, 2),
      unit: 's',
    },
    { benchmark: 'Deployment scale', figure: 'floor: executions in flight, mean', value: round(floorInFlight.mean, 1), unit: 'exec' },
  );
}
