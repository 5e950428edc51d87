// Fault injection: the whole broker restarted (`rabbitmqctl stop_app` / `start_app`) twice in the middle of
// a 10-VNFR deployment, each time while a script runs on every VM. Unlike broker-faults.e2e.test.ts this
// touches every vhost, which is why it lives in the soak project: its files run one after another, after
// `pnpm test` in scripts/test, so no other test has a connection open at that moment.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { GATED_SCRIPTS, deployGated, runLog, type GatedDeployment } from './gated-deployment.js';
import { privateVhost, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 10;
/** How long the agents get, after the broker is back, to reconnect and publish their replies. */
const AGENTS_SETTLE_MS = 3_000;

let stopped = false;

/**
 * Restart 1, with this process (the VNFM and the simulator) held up throughout: the running script's gate
 * opens while the broker is down, so every agent publishes its reply before the VNFM is back. The replies
 * are only kept if the VNFM's lasting reply queue survived the restart (durable).
 */
function restartWhileVnfmAway(open: () => void): number {
  const t0 = Date.now();
  stopped = true;
  execFileSync('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
  open();
  execFileSync('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
  execFileSync('rabbitmqctl', ['-q', 'await_startup'], { timeout: 120_000 });
  stopped = false;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, AGENTS_SETTLE_MS);
  return Date.now() - t0;
}

const rabbitmqctl = promisify(execFile);

/** Restart 2, asynchronous: everyone, the VNFM included, sees the drop and reconnects on their own. */
async function restart(): Promise<number> {
  const t0 = Date.now();
  stopped = true;
  await rabbitmqctl('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
  await rabbitmqctl('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
  await rabbitmqctl('rabbitmqctl', ['-q', 'await_startup'], { timeout: 120_000 });
  stopped = false;
  return Date.now() - t0;
}

// Whatever happens, the broker is left running for whatever comes next.
afterAll(() => {
  if (stopped) execFileSync('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
});

it(`broker restarted twice mid-deployment of ${VNFRS} VNFRs: every VNFR ends ACTIVE without a RESUME and no script runs twice on a VM`, async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: 90, startTimeoutS: 60, dropProof: true, concurrency: VNFRS, simulatorCommandTimeoutMs: 180_000 });
  let deployment: GatedDeployment | undefined;
  try {
    deployment = await deployGated(h, { name: 'broker-restart', vnfrs: VNFRS });
    const { nsrId, names, hostnames, open, running } = deployment;
    open('configure.sh');
    open('check.sh');
    await running('install.sh');
    const heldUpMs = restartWhileVnfmAway(() => open('install.sh'));
    await running('start.sh');
    const awayMs = await restart();
    open('start.sh');

    // No command waited in a queue at either restart (each had reached its agent), so nothing may be lost:
    // no ERROR, no RESUME.
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
    console.info(`broker restart: VNFM held up ${heldUpMs} ms over the first restart; broker away ${awayMs} ms in the second`);
  } finally {
    deployment?.openAll();
    await h.close();
  }
}, 600_000);
