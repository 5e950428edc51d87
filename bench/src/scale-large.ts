// `pnpm bench --scale large`: the deployment-scale benchmark (deployment-scale.ts, no-op scripts, with its floor)
// at ten times its usual size and in between: 250, 500 and 1,000 VNFRs × 2 VNFCs (up to 2,000 agents in the farms).
// Per size: wall time and ratio to the floor, VNFM CPU-s per VNFR, VNFM peak RSS, broker RSS (sampled peak of the
// RabbitMQ node that listens on the AMQP port) and the broker's client connections. Goals: VNFM RSS ≤ 200 MB at
// 1,000; CPU per VNFR at 1,000 within 20 % of 250.
import { optionsFromEnv, runDeployment, type DeploymentRun } from './deployment-scale.js';
import { round, type Row } from './table.js';

export const LARGE_SIZES = [250, 500, 1000] as const;

export async function scaleLarge(root: string, rows: Row[], sizes: readonly number[] = LARGE_SIZES): Promise<void> {
  const env = optionsFromEnv();
  const bench = 'Deployment at ten times the size';
  const runs: DeploymentRun[] = [];
  for (const vnfrs of sizes) {
    const r = await runDeployment(root, { ...env, vnfrs, pinVnfm: false, deployTimeoutMs: 900_000 });
    runs.push(r);
    const size = `${vnfrs} × ${r.vnfcsPerVnfr}`;
    rows.push(
      {
        benchmark: bench,
        figure: `${size}: wall time, deploy → ACTIVE (${r.executions} executions) / floor (concurrency ${r.floorConcurrency})`,
        value: round(r.wallMs / 1000, 2),
        unit: 's',
        floor: round(r.floorMs / 1000, 2),
        ratio: round(r.wallMs / r.floorMs, 2),
        target: '≤ 1.3',
      },
      { benchmark: bench, figure: `${size}: VNFM CPU per VNFR`, value: round((r.vnfmCpuS / vnfrs) * 1000, 2), unit: 'ms' },
      {
        benchmark: bench,
        figure: `${size}: VNFM peak RSS (VmHWM)`,
        value: round(r.vnfmRssMb, 1),
        unit: 'MB',
        ...(vnfrs === 1000 ? { target: '≤ 200 MB' } : {}),
      },
      {
        benchmark: bench,
        figure: `${size}: broker RSS, peak sampled during the deployment (before the agents: floor column)`,
        value: round(r.brokerRssMb, 1),
        unit: 'MB',
        floor: round(r.brokerRssBeforeMb, 1),
      },
      {
        benchmark: bench,
        figure: `${size}: broker connections, this run's vhost (all vhosts: floor column)`,
        value: r.brokerConnections.ours,
        unit: 'conn',
        floor: r.brokerConnections.all,
      },
      {
        benchmark: bench,
        figure: `${size}: executions in flight, VNFM peak / mean`,
        value: r.vnfmInFlight.peak,
        unit: 'exec',
        floor: round(r.vnfmInFlight.mean, 1),
      },
    );
  }
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (first && last && last !== first) {
    const perVnfr = (r: DeploymentRun): number => r.vnfmCpuS / r.vnfrs;
    rows.push({
      benchmark: bench,
      figure: `VNFM CPU per VNFR, ${last.vnfrs} / ${first.vnfrs} VNFRs`,
      value: round(perVnfr(last) * 1000, 2),
      unit: 'ms',
      floor: round(perVnfr(first) * 1000, 2),
      ratio: round(perVnfr(last) / perVnfr(first), 2),
      target: '≤ 1.2',
    });
  }
}
