// Fault injection: broker connections force-closed (rabbitmqctl) in the middle of a 20-VNFR deployment —
// the NFVO simulator's while it holds every GRANT_OPERATION, then the VNFM's two connections, every
// agent's, the simulator's again and all of them together, each while a script runs on every VM. Only
// this file's private vhost is touched, so test files running in parallel keep their connections.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { closeConnections, privateVhost, simulatorConnectionName, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 20;
const SCRIPTS = ['install.sh', 'configure.sh', 'start.sh', 'check.sh'];

/**
 * Every run of a script appends its name to the VM's runs.log (a second run shows up as a duplicate
 * line), then waits until the test opens the gate of that script, so that each round of connection
 * kills lands while that script is running on every VM.
 */
function gatedScript(gates: string): string {
  return `#!/bin/bash
name=$(basename "$0")
echo "$name" >> "$SCRIPTS_PATH/runs.log"
for _ in $(seq 1 900); do [ -e "${gates}/$name" ] && exit 0; sleep 0.1; done
echo "the gate of $name never opened" >&2
exit 1
`;
}

async function runLog(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

it(`broker connections closed mid-deployment of ${VNFRS} VNFRs: each VNFR ends ACTIVE (after one RESUME at most) and no script runs twice on a VM`, async () => {
  const h = await startHarness({
    url: vhost.url, commandTimeoutS: 30, startTimeoutS: 40, dropProof: true, concurrency: VNFRS, simulatorCommandTimeoutMs: 90_000,
    // BF_LOG=<file>: the VNFM's, the simulator's and their transports' logs, for a failing run.
    ...(process.env['BF_LOG'] ? { logger: pino({ level: 'info' }, pino.destination(process.env['BF_LOG'])) } : {}),
  });
  const gates = join(h.work, 'gates');
  try {
    await mkdir(gates);
    // Round 0 holds the VNFM's requests (GRANT_OPERATION) at the simulator until its connection was closed.
    h.sim.faults = { requestDelayMs: 120_000 };
    let grants = 0;
    h.sim.on('message', (m) => {
      if (m.direction === 'from-vnfm' && m.action === 'GRANT_OPERATION') grants += 1;
    });
    const names = Array.from({ length: VNFRS }, (_, i) => `vnf${String(i).padStart(2, '0')}`);
    const nsrId = await h.sim.deploy({
      name: 'broker-faults',
      vnfd: names.map((name) => ({
        name, type: 't', endpoint: h.type,
        lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'configure.sh'] }, { event: 'START', lifecycle_events: ['start.sh', 'check.sh'] }],
        vdu: [{ name: 'v', vnfc: [{}] }],
      })),
    }, { packages: Object.fromEntries(names.map((name) => [name, { scripts: Object.fromEntries(SCRIPTS.map((s) => [s, gatedScript(gates)])) }])) });
    const hostnames = names.map((name) => `${name}-1`);
    const started = async (script: string): Promise<number> =>
      (await Promise.all(hostnames.map((host) => runLog(h.vim.scriptsDir(host)).catch((): string[] => [])))).filter((lines) => lines.includes(script)).length;

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
      await writeFile(join(gates, round.script), '');
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
    for (const host of hostnames) expect((await runLog(h.vim.scriptsDir(host))).sort(), host).toEqual([...SCRIPTS].sort());
    console.info(`broker faults: ${JSON.stringify(closed)}; ${failed.length} VNFR(s) resumed`);
  } finally {
    // Open every gate: a failed run would otherwise wait for each blocked script's own deadline on close.
    await Promise.all(SCRIPTS.map((script) => writeFile(join(gates, script), '').catch(() => undefined)));
    await h.close();
  }
}, 240_000);
