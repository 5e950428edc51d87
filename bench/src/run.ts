// pnpm bench: every figure is printed next to a floor measured in the same run, so ratios hold on a noisy machine.
//
//   pnpm bench                          EMS round trip, agent footprint, deployment scale (3 rounds; ≈ 5 min)
//   VNFKIT_BENCH_ONLY=upstream pnpm bench   upstream model vs vnfkit default (50 VNFRs × 4 VNFCs, 200 ms scripts; ≈ 1 min)
//   pnpm bench --scale large            the deployment at 250, 500 and 1,000 VNFRs × 2 VNFCs, then the upstream
//                                       comparison (minutes); VNFKIT_BENCH_ONLY narrows it (deployment, upstream)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentFootprint } from './agent-footprint.js';
import { agentBuilt } from './agents.js';
import { deploymentScale } from './deployment-scale.js';
import { emsRoundTrip } from './ems-round-trip.js';
import { scaleLarge } from './scale-large.js';
import type { Row } from './table.js';
import { upstreamModel } from './upstream-model.js';

function scaleOf(argv: readonly string[]): 'default' | 'large' {
  const { values } = parseArgs({ args: [...argv], options: { scale: { type: 'string' } }, strict: true, allowPositionals: false });
  const scale = values.scale ?? 'default';
  if (scale !== 'default' && scale !== 'large') throw new Error(`--scale: expected default or large, got ${JSON.stringify(scale)}`);
  return scale;
}

async function main(): Promise<void> {
  // `pnpm bench -- --scale large` passes a lone `--` on: not an option.
  const scale = scaleOf(process.argv.slice(2).filter((a) => a !== '--'));
  const rows: Row[] = [];
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-'));
  try {
    if (!existsSync(agentBuilt))
      console.error('note: @vnfkit/ems-agent is not built; agents run through tsx (run `pnpm build` for production figures)');
    // VNFKIT_BENCH_ONLY=ems,footprint,deployment,upstream runs a subset (by default the first three; with
    // --scale large, deployment at the large sizes and upstream).
    const only = new Set(
      (process.env.VNFKIT_BENCH_ONLY ?? (scale === 'large' ? 'deployment,upstream' : 'ems,footprint,deployment'))
        .split(',')
        .map((s) => s.trim()),
    );
    if (only.has('ems')) await emsRoundTrip(root, rows);
    if (only.has('footprint')) await agentFootprint(root, rows);
    if (only.has('deployment')) await (scale === 'large' ? scaleLarge(root, rows) : deploymentScale(root, rows));
    if (only.has('upstream')) await upstreamModel(root, rows);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.table(rows);
  const outDir = join(import.meta.dirname, '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, scale, rows }, null, 2)}\n`);
  console.log(`wrote ${file} (Node ${process.version}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await main();
