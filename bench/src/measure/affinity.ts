// CPU affinity of processes (taskset): read, set, and the VNFM pinned apart from everything else.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** A process's CPU affinity (all its threads), as `taskset` lists it, e.g. `0-1`. */
export function affinity(pid: number): string {
  return (
    execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(': ')
      .pop() ?? ''
  );
}

export function setAffinity(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Puts the VNFM alone on the last CPU and `others` (with all their threads; children started later inherit
 * it) on the rest. Returns what restores the processes that outlive the run (this one, the broker).
 */
export function pinApart(input: { vnfm: number; others: number[]; outliving: number[] }): () => void {
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
