// Signed commands end to end: agents with a signing key accept only the Generic VNFM that signs with it.
import { afterAll, expect, it } from 'vitest';
import { privateVhost, runs, scripts, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());
const KEY = 'a-shared-signing-key-0123456789';
const nsd = (type: string) => ({
  name: 'ns',
  vnfd: [{ name: 'signed', type: 't', endpoint: type, lifecycle_event: [{ event: 'INSTANTIATE' as const, lifecycle_events: ['install.sh'] }], vdu: [{ name: 'v', vnfc: [{}] }] }],
});

it('deploys when the VNFM signs with the agents\' key', async () => {
  const h = await startHarness({ url: vhost.url, signingKey: KEY, agentSigningKey: KEY });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
    expect(await runs(h.vim, 'signed-1')).toEqual(['install.sh']);
  } finally {
    await h.close();
  }
}, 40_000);

it('an agent with a key refuses an unsigned VNFM: ERROR, and no script ran', async () => {
  const h = await startHarness({ url: vhost.url, agentSigningKey: KEY });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(h.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(/sign/i);
    expect(await runs(h.vim, 'signed-1')).toEqual([]);
  } finally {
    await h.close();
  }
}, 40_000);

it('an agent with another key refuses the VNFM (tampering or a wrong key)', async () => {
  const h = await startHarness({ url: vhost.url, signingKey: 'another-signing-key-9876543210', agentSigningKey: KEY });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(await runs(h.vim, 'signed-1')).toEqual([]);
  } finally {
    await h.close();
  }
}, 40_000);
