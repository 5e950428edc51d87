// Issue #17: an agent that is gone is noticed in seconds, not at the command timeout. Real RabbitMQ, real agent
// processes (LocalVim). Every test uses a command timeout of 600 s, so an ERROR within seconds can only come from
// the absence watch (`ems.agentGoneTimeoutS`), and prints the time it took.
import { readFile } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { privateVhost, queueExists, runs, scripts, SilentVim, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const COMMAND_TIMEOUT_S = 600;
const GONE_S = 3;

/** A script that logs "started" and sleeps 30 s the first time it runs, and finishes at once every later time. */
const SLOW_ONCE =
  '#!/bin/bash\necho started >> "$SCRIPTS_PATH/slow.log"\n[ "$(grep -c started "$SCRIPTS_PATH/slow.log")" -gt 1 ] || sleep 30\n';

/** Deploys one VNFR whose START script is `slow.sh` ({@link SLOW_ONCE} unless given); resolves once it runs. */
async function deploySlow(h: Harness, name: string, slow = SLOW_ONCE): Promise<{ nsrId: string; slowLog: () => Promise<string[]> }> {
  const nsrId = await h.sim.deploy(
    {
      name: `ns-${name}`,
      vnfd: [
        {
          name,
          type: 't',
          endpoint: h.type,
          lifecycle_event: [
            { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
            { event: 'START', lifecycle_events: ['slow.sh'] },
          ],
          vdu: [{ name: 'v', vnfc: [{}] }],
        },
      ],
    },
    { packages: { [name]: { scripts: { ...scripts(['install.sh']), 'slow.sh': slow } } } },
  );
  const slowLog = async (): Promise<string[]> =>
    (await readFile(`${h.vim.scriptsDir(`${name}-1`)}/slow.log`, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  await expect.poll(slowLog, { timeout: 20_000 }).toContain('started');
  return { nsrId, slowLog };
}

const lastDescription = (h: Harness, nsrId: string, vnfr: string): string =>
  h.sim.vnfr(nsrId, vnfr).lifecycle_event_history?.at(-1)?.description ?? '';

it('(a) an agent SIGKILLed mid-script and not restarted: ERROR "agent gone" naming host and script within seconds; after a restart RESUME completes, each script once', async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: COMMAND_TIMEOUT_S, agentGoneTimeoutS: GONE_S });
  try {
    const { nsrId, slowLog } = await deploySlow(h, 'victim');
    const t0 = Date.now();
    h.vim.kill('victim-1', 'SIGKILL');
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const took = Date.now() - t0;
    console.log(
      `(a) agent SIGKILLed: NS ERROR after ${(took / 1000).toFixed(1)} s (agentGoneTimeoutS ${GONE_S}, command timeout ${COMMAND_TIMEOUT_S} s)`,
    );
    const description = lastDescription(h, nsrId, 'victim');
    expect(description).toContain('victim-1');
    expect(description).toContain('slow.sh');
    expect(description).toContain('agent gone');
    expect(took).toBeGreaterThanOrEqual(GONE_S * 1000);
    expect(took).toBeLessThan(GONE_S * 1000 + 7_000);

    // The VM is back: its agent restarts (its scripts and execution records are still on disk).
    await h.vim.restart('victim-1');
    await expect.poll(() => queueExists(vhost.url, 'vnfm.victim-1.actions'), { timeout: 20_000 }).toBe(true);
    await h.sim.resume(nsrId);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(await runs(h.vim, 'victim-1')).toEqual(['install.sh']); // INSTANTIATE's script not run again
    expect(await slowLog()).toEqual(['started', 'started']); // the killed run, then RESUME's one
  } finally {
    await h.close();
  }
}, 90_000);

it('(b) an agent frozen (SIGSTOP) past its heartbeat: the broker drops it, and the command fails "agent gone" within seconds', async () => {
  const HEARTBEAT_S = 2;
  const h = await startHarness({
    url: vhost.url,
    commandTimeoutS: COMMAND_TIMEOUT_S,
    agentGoneTimeoutS: GONE_S,
    agentConfig: { heartbeat: String(HEARTBEAT_S), reconnect_max_delay: '1' },
  });
  try {
    const { nsrId, slowLog } = await deploySlow(h, 'frozen');
    const t0 = Date.now();
    h.vim.kill('frozen-1', 'SIGSTOP');
    // Its TCP connection stays open: only the missed heartbeats make the broker close it (and delete its queue).
    await expect.poll(() => queueExists(vhost.url, 'vnfm.frozen-1.actions'), { timeout: 30_000, interval: 250 }).toBe(false);
    const dropped = Date.now() - t0;
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const took = Date.now() - t0;
    console.log(
      `(b) agent frozen: broker dropped it after ${(dropped / 1000).toFixed(1)} s (heartbeat ${HEARTBEAT_S} s), NS ERROR after ${(took / 1000).toFixed(1)} s (agentGoneTimeoutS ${GONE_S}, command timeout ${COMMAND_TIMEOUT_S} s)`,
    );
    const description = lastDescription(h, nsrId, 'frozen');
    expect(description).toContain('frozen-1');
    expect(description).toContain('slow.sh');
    expect(description).toContain('agent gone');
    expect(took).toBeLessThan(25_000);

    // Thawed, it reconnects; RESUME runs slow.sh once more.
    h.vim.kill('frozen-1', 'SIGCONT');
    await expect.poll(() => queueExists(vhost.url, 'vnfm.frozen-1.actions'), { timeout: 20_000 }).toBe(true);
    await h.sim.resume(nsrId);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(await runs(h.vim, 'frozen-1')).toEqual(['install.sh']);
    expect(await slowLog()).toEqual(['started', 'started']);
  } finally {
    h.vim.kill('frozen-1', 'SIGCONT');
    await h.close();
  }
}, 90_000);

it('(c) a VM whose agent never boots fails at the hello wait (ems.startTimeoutS); a VM whose agent is gone before a command is sent fails by the absence rule', async () => {
  // Never booted: INSTANTIATE waits for the hello first, so the hello deadline ends it — the absence rule never
  // gets to apply (a booting VM has no queue for minutes, legitimately).
  const silent = await startHarness({
    url: vhost.url,
    vim: new SilentVim(),
    startTimeoutS: 2,
    commandTimeoutS: COMMAND_TIMEOUT_S,
    agentGoneTimeoutS: GONE_S,
  });
  try {
    const nsrId = await silent.sim.deploy(
      {
        name: 'ns-lonely',
        vnfd: [
          {
            name: 'lonely',
            type: 't',
            endpoint: silent.type,
            lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
            vdu: [{ name: 'v', vnfc: [{}] }],
          },
        ],
      },
      { packages: { lonely: { scripts: scripts(['install.sh']) } } },
    );
    const t0 = Date.now();
    await silent.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    console.log(
      `(c) agent never booted: NS ERROR after ${((Date.now() - t0) / 1000).toFixed(1)} s from deploy (startTimeoutS 2): ${lastDescription(silent, nsrId, 'lonely')}`,
    );
    expect(lastDescription(silent, nsrId, 'lonely')).toMatch(/lonely-1/);
  } finally {
    await silent.close();
  }

  // Gone before the command: STOP's script finds no queue (it is never sent) and fails by the same rule.
  const h = await startHarness({ url: vhost.url, commandTimeoutS: COMMAND_TIMEOUT_S, agentGoneTimeoutS: GONE_S });
  try {
    const nsrId = await h.sim.deploy(
      {
        name: 'ns-vanished',
        vnfd: [
          {
            name: 'vanished',
            type: 't',
            endpoint: h.type,
            lifecycle_event: [
              { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
              { event: 'STOP', lifecycle_events: ['stop.sh'] },
            ],
            vdu: [{ name: 'v', vnfc: [{}] }],
          },
        ],
      },
      { packages: { vanished: { scripts: scripts(['install.sh', 'stop.sh']) } } },
    );
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    h.vim.kill('vanished-1', 'SIGKILL');
    await expect.poll(() => queueExists(vhost.url, 'vnfm.vanished-1.actions'), { timeout: 10_000 }).toBe(false);
    const t0 = Date.now();
    await h.sim.startStop(nsrId, 'vanished', { action: 'STOP' });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const took = Date.now() - t0;
    console.log(
      `(c) agent gone before the command: NS ERROR after ${(took / 1000).toFixed(1)} s (agentGoneTimeoutS ${GONE_S}, command timeout ${COMMAND_TIMEOUT_S} s)`,
    );
    const description = lastDescription(h, nsrId, 'vanished');
    expect(description).toContain('vanished-1');
    expect(description).toContain('stop.sh');
    expect(description).toContain('agent gone');
    expect(took).toBeLessThan(GONE_S * 1000 + 7_000);
    expect(await runs(h.vim, 'vanished-1')).toEqual(['install.sh']);
  } finally {
    await h.close();
  }
}, 90_000);

it('(d) a script running longer than the absence bound on a live agent is not failed', async () => {
  const RUN_S = 3 * GONE_S;
  const h = await startHarness({ url: vhost.url, commandTimeoutS: COMMAND_TIMEOUT_S, agentGoneTimeoutS: GONE_S });
  try {
    const t0 = Date.now();
    const { nsrId } = await deploySlow(h, 'patient', `#!/bin/bash\necho started >> "$SCRIPTS_PATH/slow.log"\nsleep ${RUN_S}\n`);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
    console.log(
      `(d) slow script (${RUN_S} s, agentGoneTimeoutS ${GONE_S}): NS ACTIVE after ${((Date.now() - t0) / 1000).toFixed(1)} s, no ERROR`,
    );
    expect(h.sim.vnfr(nsrId, 'patient').status).toBe('ACTIVE');
    expect(h.sim.vnfr(nsrId, 'patient').lifecycle_event_history?.some((e) => /agent gone/.test(e.description ?? ''))).toBe(false);
  } finally {
    await h.close();
  }
}, 90_000);
