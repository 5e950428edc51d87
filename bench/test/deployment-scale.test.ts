// Smoke test of the deployment-scale benchmark: 3 VNFRs × 2 VNFCs against the real broker; every figure is a number.
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { deploymentScale } from '../src/deployment-scale.js';
import type { Row } from '../src/table.js';

it('deploys 3 VNFRs through the Generic VNFM (warmed up by 2 more) and measures its floor, in 2 rounds', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-smoke-'));
  const rows: Row[] = [];
  try {
    await deploymentScale(root, rows, {
      vnfrs: 3,
      farms: 1,
      agentsPerLink: 50,
      vnfmConcurrency: undefined,
      deployTimeoutMs: 60_000,
      pinVnfm: false,
      rounds: 2,
      warmVnfrs: 2,
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  expect(rows.length).toBeGreaterThanOrEqual(7);
  for (const row of rows) {
    expect(row.benchmark).toBe('Deployment scale');
    expect(Number.isFinite(row.value), row.figure).toBe(true);
    if (row.floor !== undefined) expect(Number.isFinite(row.floor), row.figure).toBe(true);
    if (row.ratio !== undefined) expect(Number.isFinite(row.ratio), row.figure).toBe(true);
  }
  const wall = rows.find((r) => r.figure.startsWith('wall time,'));
  // The warm-up's executions are not counted (the farms' and the VNFM's figures are of the measured deployment).
  expect(wall?.figure).toContain('36 executions');
  expect(rows.some((r) => r.figure.startsWith('CPU: what ≤ 1.3 × the floor leaves the VNFM'))).toBe(true);
  // Shares of the machine's CPUs (a little over 100 % can come from reading /proc/stat and the clock apart).
  const busy = rows.find((r) => r.figure.startsWith("CPU: share of the machine's CPUs busy"));
  for (const share of [busy?.value, busy?.floor]) {
    expect(share, busy?.figure).toBeGreaterThan(0);
    expect(share, busy?.figure).toBeLessThanOrEqual(110);
  }
  // The VNFM waits at least for its first EMS reply; counts are whole numbers.
  const waits = rows.find((r) => r.figure.startsWith('VNFM context switches during the deployment: voluntary'));
  const preempted = rows.find((r) => r.figure.startsWith('VNFM context switches during the deployment: involuntary'));
  expect(waits?.value).toBeGreaterThan(0);
  expect(Number.isInteger(waits?.value) && Number.isInteger(preempted?.value)).toBe(true);
  // 2 VNFRs × 2 VNFCs × 3 events × 2 scripts, on agents of their own.
  const warm = rows.find((r) => r.figure.startsWith('warm-up of the VNFM'));
  expect(warm?.value).toBe(2);
  expect(warm?.figure).toContain(': 24 executions');
  // The median row names both rounds' ratios; the rows shown are those of the round with the median (the lower one of two).
  const median = rows.find((r) => r.figure.startsWith('wall time / floor, median of 2 rounds'));
  const each = /each: ([\d.]+), ([\d.]+)\)/.exec(median?.figure ?? '');
  expect(each, median?.figure).not.toBeNull();
  expect(median?.ratio).toBe(Math.min(Number(each?.[1]), Number(each?.[2])));
  expect(wall?.ratio).toBe(median?.ratio);
  expect(wall?.value).toBe(median?.value);
}, 240_000);

it.runIf(availableParallelism() >= 2)(
  'with the VNFM on a CPU of its own, and every affinity it changed restored afterwards',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-smoke-'));
    const rows: Row[] = [];
    const broker = Number(execFileSync('pgrep', ['-o', '-f', 'beam.smp'], { encoding: 'utf8' }).trim());
    const affinities = (): string[] =>
      [process.pid, broker].map(
        (pid) =>
          execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' })
            .trim()
            .split(': ')
            .pop() ?? '',
      );
    const before = affinities();
    try {
      await deploymentScale(root, rows, {
        vnfrs: 2,
        farms: 1,
        agentsPerLink: 50,
        vnfmConcurrency: undefined,
        deployTimeoutMs: 60_000,
        pinVnfm: true,
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    expect(affinities()).toEqual(before);
    expect(rows.find((r) => r.figure.startsWith('wall time'))?.figure).toContain('the VNFM on a CPU of its own');
    expect(Number.isFinite(rows.find((r) => r.figure.startsWith('wall time'))?.ratio)).toBe(true);
    expect(rows.some((r) => r.figure.startsWith('CPU: what ≤ 1.3'))).toBe(false);
  },
  180_000,
);
