// Fault injection: broker connections force-closed (rabbitmqctl) in the middle of a 20-VNFR deployment —
// the NFVO simulator's while it holds every GRANT_OPERATION, then the VNFM's two connections, every
// agent's, the simulator's again and all of them together, each while a script runs on every VM. Only
// this file's private vhost is touched, so test files running in parallel keep their connections.
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { GATED_SCRIPTS, deployGated, runLog, type GatedDeployment } from './gated-deployment.js';
import { closeConnections, privateVhost, simulatorConnectionName, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 20;

it(`broker connections closed mid-deployment of ${VNFRS} VNFRs: each VNFR ends ACTIVE (after one RESUME at most) and no script runs twice on a VM`, async () => {
  const h = await startHarness({
    url: vhost.url, commandTimeoutS: 30, startTimeoutS: 40, dropProof: true, concurrency: VNFRS, simulatorCommandTimeoutMs: 90_000,
    // BF_LOG=<file>: the VNFM's, the simulator's and their transports' logs, for a failing run.
    ...(process.env['BF_LOG'] ? { logger: pino({ level: 'info' }, pino.destination(process.env['BF_LOG'])) } : {}),
  });
  let deployment: GatedDeployment | undefined;
  try {
    // Round 0 holds the VNFM's requests (GRANT_OPERATION) at the simulator until its connection was closed.
    h.sim.faults = { requestDelayMs: 120_000 };
    let grants = 0;
    h.sim.on('message', (m) => {
      if (m.direction === 'from-vnfm' && m.action === 'GRANT_OPERATION') grants += 1;
    });
    deployment = await deployGated(h, { name: 'broker-faults', vnfrs: VNFRS });
    const { nsrId, names, hostnames } = deployment;
    const started = async (script: string): Promise<number> =>
      (await Promise.all(hostnames.map((host) => runLog(h.vim, host)))).filter((lines) => lines.includes(script)).length;

    // One round of kills per script, each while that script runs (blocked on its gate) on every VM.
    const vnfm = [`vnfm-${h.type}`, `generic-vnfm-ems-${h.type}`];
    const agents = ['vnfkit-ems '];
    const simulator = [simulatorConnectionName(h.type)];
    const rounds: { script: string; prefixes: string[]; what: string }[] = [
      { script: 'install.sh', prefixes: vnfm, what: 'the VNFM' },
      { script: 'configure.sh', prefixes: agents, what: 'every agent' },
      { script: 'start.sh', prefixes: simulator, what: 'the NFVO simulator' },
      { script: 'check.sh', prefixes: [...vnfm, ...agents, ...simulator], what: 'everything' },
    ];
    const closed: { what: string; count: number; ms: number }[] = [];
    await expect.poll(() => grants, { timeout: 60_000, interval: 100 }).toBe(VNFRS);
    const t0 = Date.now();
    closed.push({ what: 'the NFVO simulator holding every GRANT_OPERATION', count: await closeConnections(vhost.url, simulator), ms: Date.now() - t0 });
    h.sim.faults = {};
    for (const round of rounds) {
      await expect.poll(() => started(round.script), { timeout: 60_000, interval: 100 }).toBe(VNFRS).catch(async (error: unknown) => {
        console.info(JSON.stringify({ closed, vnfrs: h.sim.vnfrsOf(nsrId).map((v) => [v.name, v.status, v.lifecycle_event_history?.at(-1)?.description]) }));
        throw error;
      });
      const t0 = Date.now();
      closed.push({ what: round.what, count: await closeConnections(vhost.url, round.prefixes), ms: Date.now() - t0 });
      await deployment.open(round.script);
    }
    // Each round closed what it aimed at: 1 simulator, 2 VNFM connections, 20 agents, 1 simulator, all 23.
    expect(closed.map((c) => c.count), JSON.stringify(closed)).toEqual([1, 2, VNFRS, 1, VNFRS + 3]);
    // A redelivered GRANT_OPERATION is answered from the first answer, not granted again.
    expect(grants).toBe(VNFRS);

    // Every VNFR settles: ACTIVE, or ERROR with a reason.
    const settled = (): boolean => {
      const vnfrs = h.sim.vnfrsOf(nsrId);
      return vnfrs.length === VNFRS && vnfrs.every((v) => v.status === 'ACTIVE' || v.status === 'ERROR');
    };
    await expect.poll(settled, { timeout: 60_000, interval: 100 }).toBe(true);
    const failed = h.sim.vnfrsOf(nsrId).filter((v) => v.status === 'ERROR');
    for (const v of failed) {
      const reason = v.lifecycle_event_history?.filter((e) => e.event === 'ERROR').at(-1)?.description ?? '';
      expect(reason, `reason of ${v.name ?? ''}`).toMatch(/connection|timed out|broker|interrupted/i);
    }
    if (failed.length > 0) {
      await h.sim.resume(nsrId);
      await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
    }
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));

    // Exactly one run of each script per VM.
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
    console.info(`broker faults: ${JSON.stringify(closed)}; ${failed.length} VNFR(s) resumed`);
  } finally {
    await deployment?.openAll();
    await h.close();
  }
}, 240_000);
