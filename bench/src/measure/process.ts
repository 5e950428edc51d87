// Measuring processes from /proc: resident memory (now, sampled, peak), CPU seconds of a process, of the machine,
// and of the parties of a deployment run.
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** Resident memory now, MB. */
export async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest sample (VmHWM of a long-lived broker says nothing about this run). */
export function rssSampler(pid: number | undefined, everyMs = 250): { stop: () => Promise<number> } {
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

export async function peakRssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 0}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

/**
 * Context switches of a process so far, summed over its threads: `voluntary` (it waited: I/O, a lock, an empty event
 * loop) and `involuntary` (preempted while it could still run: the CPU was wanted by others).
 */
export async function contextSwitches(pid: number | undefined): Promise<{ voluntary: number; involuntary: number }> {
  const total = { voluntary: 0, involuntary: 0 };
  for (const tid of await readdir(`/proc/${pid ?? 0}/task`)) {
    // A thread that ended meanwhile counts no more.
    const status = await readFile(`/proc/${pid ?? 0}/task/${tid}/status`, 'utf8').catch(() => '');
    total.voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    total.involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return total;
}

/** CPU seconds the whole machine has been busy so far (every process, the scripts included), from /proc/stat. */
export async function machineBusySeconds(): Promise<number> {
  const [user = 0, nice = 0, system = 0, _idle = 0, _iowait = 0, irq = 0, softirq = 0, steal = 0] = (await readFile('/proc/stat', 'utf8'))
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ
}

/** CPU seconds so far of the parties of a run: this process (simulator, floor client), the farms, the broker, the VNFM. */
export async function cpuSplit(input: {
  farms: readonly { child: ChildProcess }[];
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

export type CpuSplit = Awaited<ReturnType<typeof cpuSplit>>;
