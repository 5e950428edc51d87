// Fault injection: the whole broker restarted (`rabbitmqctl stop_app` / `start_app`) twice in the middle of
// a 10-VNFR deployment, each time while a script runs on every VM. Unlike broker-faults.e2e.test.ts this
// touches every vhost, which is why it lives in the soak project: its files run one after another, after
// `pnpm test` in scripts/test, so no other test has a connection open at that moment.
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { GATED_SCRIPTS, deployGated, runLog, type GatedDeployment } from './gated-deployment.js';
import { privateVhost, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 10;
/** Scripts during which the broker restarts; the other two run through. */
const RESTART_DURING = ['install.sh', 'start.sh'];

let stopped = false;

/** Restarts the RabbitMQ application (the Erlang node stays up); returns how long it was away, in ms. */
function restartBroker(): number {
  const t0 = Date.now();
  stopped = true;
  execFileSync('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
  execFileSync('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
  execFileSync('rabbitmqctl', ['-q', 'await_startup'], { timeout: 120_000 });
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
    const { nsrId, names, hostnames } = deployment;
    for (const script of GATED_SCRIPTS.filter((s) => !RESTART_DURING.includes(s))) await deployment.open(script);
    const away: number[] = [];
    for (const script of RESTART_DURING) {
      await deployment.running(script);
      away.push(restartBroker());
      await deployment.open(script);
    }

    // Nothing was in a queue at either restart (every command had reached its agent, every reply was still
    // to come), so nothing may be lost: no ERROR, no RESUME.
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
    console.info(`broker restart: away ${JSON.stringify(away)} ms`);
  } finally {
    await deployment?.openAll();
    await h.close();
  }
}, 600_000);
