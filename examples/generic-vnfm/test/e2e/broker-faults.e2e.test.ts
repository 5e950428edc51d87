// Fault injection: broker connections force-closed (rabbitmqctl) in the middle of a 20-VNFR deployment —
// the NFVO simulator's while it holds every GRANT_OPERATION, then the VNFM's two connections, every
// agent's, the simulator's again and all of them together, each while a script runs on every VM. Only
// this file's private vhost is touched, so test files running in parallel keep their connections.
// Run with the NFVO's commands sent as Open Baton's 6.0 NFVO sends them (Spring AMQP 1.7: no correlation id,
// the reply consumed on the sending channel) and with correlation ids and a lasting reply queue. In the first
// mode the NFVO's own connection is left alone: a command in flight when it drops has lost its reply channel
// (RabbitTemplate.doSendAndReceiveWithTemporary, 1.7.7:1255-1314; the real NFVO then waits forever,
// RabbitVnfmSender.java 6.0.0:65), a limit of the NFVO that no VNFM can mend.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { GATED_SCRIPTS, deployGated, runLog, type GatedDeployment } from './gated-deployment.js';
import { closeConnections, privateVhost, simulatorConnectionName, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 20;

describe.each([
  { mode: 'Open Baton 6.0 NFVO (no correlation ids; its own connection kept)', springNfvo: true },
  { mode: 'commands with correlation ids, the NFVO on a lasting reply queue', springNfvo: false },
])('$mode', ({ springNfvo }) => {
  it(`broker connections closed mid-deployment of ${VNFRS} VNFRs: every VNFR ends ACTIVE without a RESUME and no script runs twice on a VM`, async () => {
    const h = await startHarness({
      url: vhost.url,
      commandTimeoutS: 30,
      startTimeoutS: 40,
      dropProof: true,
      concurrency: VNFRS,
      simulatorCommandTimeoutMs: 90_000,
      simulatorCorrelationIds: !springNfvo,
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

      // One round of kills per script, each while that script runs (blocked on its gate) on every VM.
      const vnfm = [`vnfm-${h.type}`, `generic-vnfm-ems-${h.type}`];
      const agents = ['vnfkit-ems '];
      const simulator = springNfvo ? [] : [simulatorConnectionName(h.type)];
      const rounds: { script: string; prefixes: string[]; what: string }[] = [
        { script: 'install.sh', prefixes: vnfm, what: 'the VNFM' },
        { script: 'configure.sh', prefixes: agents, what: 'every agent' },
        { script: 'start.sh', prefixes: springNfvo ? vnfm : simulator, what: springNfvo ? 'the VNFM again' : 'the NFVO simulator' },
        { script: 'check.sh', prefixes: [...vnfm, ...agents, ...simulator], what: 'everything' },
      ];
      const closed: { what: string; count: number; ms: number }[] = [];
      await expect.poll(() => grants, { timeout: 60_000, interval: 100 }).toBe(VNFRS);
      const t0 = Date.now();
      // (Spring mode: the VNFM's connections instead, while the NFVO holds every answer to its GRANT_OPERATION.)
      closed.push({
        what: springNfvo ? 'the VNFM while the NFVO holds every GRANT_OPERATION' : 'the NFVO simulator holding every GRANT_OPERATION',
        count: await closeConnections(vhost.url, springNfvo ? vnfm : simulator),
        ms: Date.now() - t0,
      });
      h.sim.faults = {};
      for (const round of rounds) {
        await deployment.running(round.script, 60_000).catch((error: unknown) => {
          throw new Error(`after ${JSON.stringify(closed)}: ${String(error)}`);
        });
        const t0 = Date.now();
        closed.push({ what: round.what, count: await closeConnections(vhost.url, round.prefixes), ms: Date.now() - t0 });
        deployment.open(round.script);
      }
      // Each round closed what it aimed at: 1 simulator (Spring mode: 2 VNFM connections), 2 VNFM connections,
      // 20 agents, 1 simulator (2 VNFM connections), all 23 (22).
      expect(
        closed.map((c) => c.count),
        JSON.stringify(closed),
      ).toEqual(springNfvo ? [2, 2, VNFRS, 2, VNFRS + 2] : [1, 2, VNFRS, 1, VNFRS + 3]);
      // A redelivered GRANT_OPERATION is answered from the first answer, not granted again.
      expect(grants).toBe(VNFRS);

      // Nothing a dropped connection touched is lost (lasting reply queues, redelivery answered from the
      // journal), so no VNFR goes to ERROR: none needs a RESUME.
      await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
      expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));

      // Exactly one run of each script per VM.
      for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...GATED_SCRIPTS].sort());
      console.info(`broker faults: ${JSON.stringify(closed)}`);
    } finally {
      deployment?.openAll();
      await h.close();
    }
  }, 240_000);
});
