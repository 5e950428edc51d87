// Smoke test of the deployment-scale benchmark: 3 VNFRs × 2 VNFCs against the real broker; every figure is a number.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { deploymentScale } from '../src/deployment-scale.js';
import type { Row } from '../src/table.js';

it('deploys 3 VNFRs through the Generic VNFM and measures its floor', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-smoke-'));
  const rows: Row[] = [];
  try {
    await deploymentScale(root, rows, { vnfrs: 3, farms: 1, agentsPerLink: 50, vnfmConcurrency: undefined, deployTimeoutMs: 60_000 });
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
  expect(rows.find((r) => r.figure.startsWith('wall time'))?.figure).toContain('36 executions');
}, 180_000);
