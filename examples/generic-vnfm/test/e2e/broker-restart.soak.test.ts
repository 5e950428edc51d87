// Fault injection: the whole broker restarted (`rabbitmqctl stop_app` / `start_app`) twice in the middle of
// a 10-VNFR deployment, each time while a script runs on every VM. Unlike broker-faults.e2e.test.ts this
// touches every vhost, which is why it lives in the soak project: its files run one after another, after
// `pnpm test` in scripts/test, so no other test has a connection open at that moment.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalVim } from '@vnfkit/vnfm-sdk/testing';
import { afterAll, expect, it } from 'vitest';
import { privateVhost, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const VNFRS = 10;
const SCRIPTS = ['install.sh', 'configure.sh', 'start.sh', 'check.sh'];
/** Scripts during which the broker restarts; the other two run through. */
const RESTART_DURING = ['install.sh', 'start.sh'];

/** Appends its name to the VM's runs.log, then waits for its gate (as in broker-faults.e2e.test.ts). */
function gatedScript(gates: string): string {
  return `#!/bin/bash
name=$(basename "$0")
echo "$name" >> "$SCRIPTS_PATH/runs.log"
for _ in $(seq 1 1200); do [ -e "${gates}/$name" ] && exit 0; sleep 0.1; done
echo "the gate of $name never opened" >&2
exit 1
`;
}

/** Lines of a VM's runs.log; none while the VM does not exist yet. */
async function runLog(vim: LocalVim, hostname: string): Promise<string[]> {
  let dir: string;
  try {
    dir = vim.scriptsDir(hostname);
  } catch {
    return [];
  }
  return (await readFile(join(dir, 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

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
  const gates = join(h.work, 'gates');
  try {
    await mkdir(gates);
    for (const script of SCRIPTS.filter((s) => !RESTART_DURING.includes(s))) await writeFile(join(gates, script), '');
    const names = Array.from({ length: VNFRS }, (_, i) => `vnf${String(i).padStart(2, '0')}`);
    const nsrId = await h.sim.deploy({
      name: 'broker-restart',
      vnfd: names.map((name) => ({
        name, type: 't', endpoint: h.type,
        lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'configure.sh'] }, { event: 'START', lifecycle_events: ['start.sh', 'check.sh'] }],
        vdu: [{ name: 'v', vnfc: [{}] }],
      })),
    }, { packages: Object.fromEntries(names.map((name) => [name, { scripts: Object.fromEntries(SCRIPTS.map((s) => [s, gatedScript(gates)])) }])) });
    const hostnames = names.map((name) => `${name}-1`);
    /** Until `script` runs on every VM; a VNFR in ERROR meanwhile fails the test at once, with its reason. */
    const allStarted = async (script: string): Promise<void> => {
      for (const deadline = Date.now() + 90_000; ;) {
        const failed = h.sim.vnfrsOf(nsrId).filter((v) => v.status === 'ERROR');
        if (failed.length > 0) throw new Error(`waiting for ${script}: ${failed.map((v) => `${v.name ?? ''}: ${v.lifecycle_event_history?.at(-1)?.description ?? ''}`).join('; ')}`);
        const logs = await Promise.all(hostnames.map((host) => runLog(h.vim, host)));
        if (logs.every((lines) => lines.includes(script))) return;
        if (Date.now() > deadline) throw new Error(`${script} started on ${logs.filter((lines) => lines.includes(script)).length} of ${VNFRS} VMs within 90 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const away: number[] = [];
    for (const script of RESTART_DURING) {
      await allStarted(script);
      away.push(restartBroker());
      await writeFile(join(gates, script), '');
    }

    // Nothing was in a queue at either restart (every command had reached its agent, every reply was still
    // to come), so nothing may be lost: no ERROR, no RESUME.
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
    expect(h.sim.vnfrsOf(nsrId).map((v) => v.status)).toEqual(names.map(() => 'ACTIVE'));
    for (const host of hostnames) expect((await runLog(h.vim, host)).sort(), host).toEqual([...SCRIPTS].sort());
    console.info(`broker restart: away ${JSON.stringify(away)} ms`);
  } finally {
    // Open every gate: a failed run would otherwise wait for each blocked script's own deadline on close.
    await Promise.all(SCRIPTS.map((script) => writeFile(join(gates, script), '').catch(() => undefined)));
    await h.close();
  }
}, 600_000);
