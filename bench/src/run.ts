// pnpm bench: every figure is printed next to a floor measured in the same run, so ratios hold on a noisy machine.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentFootprint } from './agent-footprint.js';
import { agentBuilt } from './agents.js';
import { deploymentScale } from './deployment-scale.js';
import { emsRoundTrip } from './ems-round-trip.js';
import type { Row } from './table.js';

async function main(): Promise<void> {
  const rows: Row[] = [];
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-'));
  try {
    if (!existsSync(agentBuilt)) console.error('note: @vnfkit/ems-agent is not built; agents run through tsx (run `pnpm build` for production figures)');
    // VNFKIT_BENCH_ONLY=ems,footprint,deployment runs a subset (all by default).
    const only = new Set((process.env.VNFKIT_BENCH_ONLY ?? 'ems,footprint,deployment').split(',').map((s) => s.trim()));
    if (only.has('ems')) await emsRoundTrip(root, rows);
    if (only.has('footprint')) await agentFootprint(root, rows);
    if (only.has('deployment')) await deploymentScale(root, rows);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.table(rows);
  const outDir = join(import.meta.dirname, '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
  console.log(`wrote ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await main();
