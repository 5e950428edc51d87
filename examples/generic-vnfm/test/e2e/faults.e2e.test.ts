// Fault injection: an agent SIGKILLed in the middle of a script (restarted later, or at once), and agents cut off the broker.
import { readFile } from 'node:fs/promises';
import type { Event } from '@vnfkit/protocol';
import { afterAll, expect, it } from 'vitest';
import { closeConnections, privateVhost, queueExists, RECORDING_SCRIPT, runs, scripts, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

/** Deploys one VNFR whose START script `slow.sh` logs "started" and sleeps 30 s; resolves once it runs. */
async function deploySlow(h: Harness, name: string): Promise<{ nsrId: string; slowLog: () => Promise<string> }> {
  const slow = '#!/bin/bash\necho started >> "$SCRIPTS_PATH/slow.log"\nsleep 30\n';
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
  const slowLog = async (): Promise<string> => readFile(`${h.vim.scriptsDir(`${name}-1`)}/slow.log`, 'utf8').catch(() => '');
  await expect.poll(slowLog, { timeout: 20_000 }).toContain('started');
  return { nsrId, slowLog };
}

it('an agent killed mid-script: ERROR naming host and script within the command timeout; after the agent restarts, resume completes', async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: 3 });
  try {
    const t0 = Date.now();
    // Kill the agent once the slow START script is running.
    const { nsrId } = await deploySlow(h, 'victim');
    h.vim.kill('victim-1', 'SIGKILL');
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    const description = h.sim.vnfr(nsrId, 'victim').lifecycle_event_history?.at(-1)?.description ?? '';
    expect(description).toContain('victim-1');
    expect(description).toContain('slow.sh');
    expect(Date.now() - t0).toBeLessThan(20_000);

    await h.vim.restart('victim-1');
    await expect.poll(() => queueExists(vhost.url, 'vnfm.victim-1.actions'), { timeout: 20_000 }).toBe(true);
    await h.sim.updateScript(nsrId, 'victim', { name: 'slow.sh', content: '#!/bin/bash\necho fixed >> "$SCRIPTS_PATH/slow.log"\n' });
    await h.sim.resume(nsrId);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
    expect(await runs(h.vim, 'victim-1')).toEqual(['install.sh']);
  } finally {
    await h.close();
  }
}, 60_000);

it('an agent killed mid-script and restarted at once (as systemd would): ERROR "interrupted" within seconds, long before the command timeout; the script is not re-run until RESUME', async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: 60 });
  try {
    const { nsrId, slowLog } = await deploySlow(h, 'phoenix');
    h.vim.kill('phoenix-1', 'SIGKILL');
    const t0 = Date.now();
    await h.vim.restart('phoenix-1');
    // The restarted agent's hello makes the VNFM send the command again; the agent's record says it was
    // cut short, so the answer is "interrupted" — at once, where it used to take the 60 s command timeout.
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    const description = h.sim.vnfr(nsrId, 'phoenix').lifecycle_event_history?.at(-1)?.description ?? '';
    expect(description).toContain('phoenix-1');
    expect(description).toContain('slow.sh');
    expect(description).toContain('interrupted by agent restart');
    expect((await slowLog()).trim().split('\n')).toEqual(['started']);

    await h.sim.updateScript(nsrId, 'phoenix', { name: 'slow.sh', content: '#!/bin/bash\necho fixed >> "$SCRIPTS_PATH/slow.log"\n' });
    await h.sim.resume(nsrId);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
    expect((await slowLog()).trim().split('\n')).toEqual(['started', 'fixed']);
    expect(await runs(h.vim, 'phoenix-1')).toEqual(['install.sh']);
  } finally {
    await h.close();
  }
}, 90_000);

/** Deploys one VNFR of one VNFC whose lifecycle runs `events` (event → scripts) and waits until it is ACTIVE. */
async function deployOne(h: Harness, name: string, events: Partial<Record<Event, string[]>>): Promise<string> {
  const nsrId = await h.sim.deploy(
    {
      name: `ns-${name}`,
      vnfd: [
        {
          name,
          type: 't',
          endpoint: h.type,
          lifecycle_event: (Object.entries(events) as [Event, string[]][]).map(([event, list]) => ({ event, lifecycle_events: list })),
          vdu: [{ name: 'v', vnfc: [{}] }],
        },
      ],
    },
    { packages: { [name]: { scripts: scripts(Object.values(events).flat()) } } },
  );
  await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
  return nsrId;
}

/**
 * Cuts an agent off the broker: frozen (SIGSTOP, so it cannot reconnect), its connection closed, and with it
 * its auto-delete actions queue. SIGCONT lets it reconnect.
 */
async function cutOff(h: Harness, hostname: string): Promise<void> {
  h.vim.kill(hostname, 'SIGSTOP');
  expect(await closeConnections(vhost.url, [`vnfkit-ems ${hostname}`])).toBe(1);
  await expect.poll(() => queueExists(vhost.url, `vnfm.${hostname}.actions`), { timeout: 10_000 }).toBe(false);
}

it('an EMS command sent while its agent reconnects (the auto-delete actions queue gone for that moment) is delivered, not lost', async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: 20 });
  try {
    const nsrId = await deployOne(h, 'gap', { INSTANTIATE: ['install.sh'] });
    // Cut off for a second: the NFVO's EXECUTE (SAVE_SCRIPTS + EXECUTE to the agent) lands while no queue
    // exists. The broker returns those commands as unroutable and the VNFM sends them again until the thawed
    // agent has declared its queue again; before, they were dropped silently.
    await cutOff(h, 'gap-1');
    const t0 = Date.now();
    const executed = h.sim.execute(nsrId, 'gap', { name: 'late.sh', content: RECORDING_SCRIPT });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    h.vim.kill('gap-1', 'SIGCONT');
    await executed;
    expect(Date.now() - t0).toBeLessThan(10_000); // a lost command would only end at the 20 s command timeout
    expect(h.sim.vnfr(nsrId, 'gap').status).toBe('ACTIVE');
    expect(await runs(h.vim, 'gap-1')).toEqual(['install.sh', 'late.sh']);
  } finally {
    await h.close();
  }
}, 60_000);

it('an agent unreachable past the command timeout: ERROR says no queue took the command; once it is back, RESUME completes and no script ran twice', async () => {
  const h = await startHarness({ url: vhost.url, commandTimeoutS: 3 });
  try {
    const nsrId = await deployOne(h, 'away', { INSTANTIATE: ['install.sh'], STOP: ['stop.sh'] });
    // Cut off for longer than the 3 s command timeout: STOP's script finds no queue until the VNFM gives up.
    await cutOff(h, 'away-1');
    await h.sim.startStop(nsrId, 'away', { action: 'STOP' });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    const description = h.sim.vnfr(nsrId, 'away').lifecycle_event_history?.at(-1)?.description ?? '';
    expect(description).toContain('away-1');
    expect(description).toContain('stop.sh');
    expect(description).toMatch(/no queue took the request/);

    h.vim.kill('away-1', 'SIGCONT');
    await expect.poll(() => queueExists(vhost.url, 'vnfm.away-1.actions'), { timeout: 20_000 }).toBe(true);
    await h.sim.resume(nsrId);
    await expect.poll(() => h.sim.vnfr(nsrId, 'away').status, { timeout: 20_000 }).toBe('INACTIVE'); // STOP done
    expect(await runs(h.vim, 'away-1')).toEqual(['install.sh', 'stop.sh']);
  } finally {
    h.vim.kill('away-1', 'SIGCONT');
    await h.close();
  }
}, 60_000);
