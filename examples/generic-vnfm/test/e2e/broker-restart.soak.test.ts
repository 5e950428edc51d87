// Fault injection: the whole broker restarted (`rabbitmqctl stop_app` / `start_app`) three times in the middle
// of a 10-VNFR deployment, each time while a script runs on every VM; the third time the scripts' replies wait
// inside the broker and are lost with it. Then once while NFVO commands wait in the VNFM's endpoint queue.
// Unlike broker-faults.e2e.test.ts this touches every vhost, which is why it lives in the soak project: its
// files run one after another, after `pnpm test` in scripts/test, so no other test has a connection open then.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { GATED_SCRIPTS, deployGated, runLog, type GatedDeployment } from './gated-deployment.js';
import { closeConnectionsSync, privateVhost, queueMessages, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 10;
/** How long the agents get, after the broker is back, to reconnect and publish their replies. */
const AGENTS_SETTLE_MS = 3_000;

let stopped = false;

/** Restarts the broker application synchronously, this whole process held up; `whileDown` runs while it is stopped. */
function restartBrokerSync(whileDown: () => void = () => undefined): void {
  stopped = true;
  execFileSync('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
  whileDown();
  execFileSync('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
  execFileSync('rabbitmqctl', ['-q', 'await_startup'], { timeout: 120_000 });
  stopped = false;
}

/**
 * Restart 1, with this process (the VNFM and the simulator) held up throughout: the running script's gate
 * opens while the broker is down, so every agent publishes its reply before the VNFM is back. The replies
 * are only kept if the VNFM's lasting reply queue survived the restart (durable).
 */
function restartWhileVnfmAway(open: () => void): number {
  const t0 = Date.now();
  restartBrokerSync(open);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, AGENTS_SETTLE_MS);
  return Date.now() - t0;
}

/** Holds this whole process (VNFM, simulator) up while `condition` is false, for at most `timeoutMs`. */
function holdUntil(condition: () => boolean, what: string, timeoutMs = 60_000): void {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`held up ${timeoutMs} ms waiting for ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/**
 * Restart 3, with the replies inside the broker: the VNFM's EMS connection is closed and this process held
 * up, so nobody consumes the VNFM's lasting reply queue; the running script's gate opens, every agent's
 * reply lands in that queue, and then the broker restarts. The replies are not persistent, so the restart
 * drops them (checked). Once this process runs again, the VNFM reconnects and sends the commands again with
 * the same correlation ids; the agents answer from their execution records instead of running the script
 * again.
 */
function restartWithRepliesInside(input: { url: string; type: string; open: () => void; replies: number }): { lost: number } {
  const replyQueues = `vnfkit.reply.generic-vnfm-ems-${input.type}.`;
  const waiting = (): number => [...queueMessages(input.url, replyQueues).values()].reduce((a, b) => a + b, 0);
  if (closeConnectionsSync(input.url, [`generic-vnfm-ems-${input.type}`]) !== 1) throw new Error("the VNFM's EMS connection was not found");
  input.open();
  // At least: an agent whose hello came in late after restart 2 was sent its command again, and answers both.
  holdUntil(() => waiting() >= input.replies, `${input.replies} replies in ${replyQueues}*`);
  const lost = waiting();
  restartBrokerSync();
  if (waiting() !== 0) throw new Error('the replies survived the broker restart: this test no longer tests their loss');
  return { lost };
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

it(`broker restarted three times mid-deployment of ${VNFRS} VNFRs, once with the replies inside: every VNFR ends ACTIVE without a RESUME and no script runs twice on a VM`, async () => {
  // The NFVO side keeps its commands' replies on a lasting queue (correlation ids): with Open Baton's NFVO (Spring
  // AMQP 1.7, the reply consumed on the sending channel) a broker restart loses every command in flight.
  const h = await startHarness({
    url: vhost.url,
    commandTimeoutS: 90,
    startTimeoutS: 60,
    dropProof: true,
    concurrency: VNFRS,
    simulatorCommandTimeoutMs: 180_000,
    simulatorCorrelationIds: true,
  });
  let deployment: GatedDeployment | undefined;
  try {
    deployment = await deployGated(h, { name: 'broker-restart', vnfrs: VNFRS });
    const { nsrId, names, hostnames, open, running } = deployment;
    open('configure.sh');
    await running('install.sh');
    const heldUpMs = restartWhileVnfmAway(() => open('install.sh'));
    await running('start.sh');
    const awayMs = await restart();
    open('start.sh');
    await running('check.sh');
    const { lost } = restartWithRepliesInside({ url: vhost.url, type: h.type, open: () => open('check.sh'), replies: VNFRS });

    // Nothing may be lost for good: the lasting reply queues kept the replies of restarts 1 and 2, and the
    // commands of restart 3 were sent again. No ERROR, no RESUME.
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
    console.info(
      `broker restart: VNFM held up ${heldUpMs} ms over the first restart; broker away ${awayMs} ms in the second; ${lost} replies lost in the third`,
    );
  } finally {
    deployment?.openAll();
    await h.close();
  }
}, 600_000);

it("broker restarted while NFVO commands wait in the VNFM's endpoint queue: they survive (persistent, as Open Baton's NFVO sends them, in a durable queue) and every VNFR ends ACTIVE, each script once", async () => {
  // Two NFVO commands at a time: INSTANTIATE of 2 VNFRs runs (their install.sh waits at its gate), the other 2 wait in the queue.
  const h = await startHarness({
    url: vhost.url,
    commandTimeoutS: 90,
    startTimeoutS: 60,
    dropProof: true,
    concurrency: 2,
    simulatorCommandTimeoutMs: 60_000,
    simulatorCorrelationIds: true,
  });
  let deployment: GatedDeployment | undefined;
  try {
    deployment = await deployGated(h, { name: 'queued-commands', vnfrs: 4 });
    const { nsrId, names, hostnames, open } = deployment;
    const waiting = async (): Promise<number> => queueMessages(vhost.url, h.type, 'messages_ready').get(h.type) ?? 0;
    await expect.poll(waiting, { timeout: 60_000 }).toBe(2);
    const awayMs = await restart();
    open('install.sh');
    open('configure.sh');
    open('start.sh');
    open('check.sh');
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
    console.info(`broker restart with 2 NFVO commands queued: broker away ${awayMs} ms`);
  } finally {
    deployment?.openAll();
    await h.close();
  }
}, 300_000);
