// Smoke test of the "upstream model vs vnfkit default" benchmark at a tiny size (2 VNFRs × 2 VNFCs, 2 scripts of
// 50 ms): three deployments against the real broker; every figure is a number and the upstream model is slower.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Row } from '../src/table.js';
import { upstreamModel } from '../src/upstream-model.js';

it('deploys the same VNFRs the vnfkit way, the upstream 6.0.0 way and the upstream model, and compares them', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-smoke-'));
  const rows: Row[] = [];
  try {
    await upstreamModel(root, rows, { vnfrs: 2, vnfcsPerVnfr: 2, scripts: 2, scriptMs: 50, farms: 1 });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  for (const row of rows) {
    expect(row.benchmark).toBe('Upstream model vs vnfkit default');
    expect(Number.isFinite(row.value), row.figure).toBe(true);
    if (row.floor !== undefined) expect(Number.isFinite(row.floor), row.figure).toBe(true);
    if (row.ratio !== undefined) expect(Number.isFinite(row.ratio), row.figure).toBe(true);
  }
  const headline = rows.find((r) => r.figure.startsWith('wall time, upstream model'));
  expect(headline?.figure).toContain('8 executions');
  // Serial VNFCs: at most one execution per VNFR in flight, so the upstream model never reaches vnfkit's peak.
  const peak = (way: string): number => rows.find((r) => r.figure.startsWith(way) && r.figure.includes('in flight'))?.value ?? NaN;
  expect(peak('upstream model')).toBeLessThanOrEqual(2);
  expect(peak('vnfkit default')).toBe(4);
}, 180_000);
