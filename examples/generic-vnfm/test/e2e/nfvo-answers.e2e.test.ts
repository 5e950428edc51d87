// The NFVO's answers to GRANT_OPERATION, ALLOCATE_RESOURCES and SCALING as Open Baton's 6.0 NFVO sends them
// (refusals carrying the VNFR it has just saved; the JSON null of a failed task or a deleted NSR), through
// the simulator, the Generic VNFM and real agents over RabbitMQ. What the VNFM does with each follows the
// Java VNFM SDK (AbstractVnfm.java 6.0.0:236-247, 329-331, 353-355, 525-538, 722-727, 794-800).
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateVhost, recordMessages, runs, scripts, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const nsd = (type: string, name: string): NetworkServiceDescriptor => ({
  name,
  vnfd: [
    {
      name,
      type: 'server',
      endpoint: type,
      lifecycle_event: [
        { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
        { event: 'START', lifecycle_events: ['start.sh'] },
        { event: 'ERROR', lifecycle_events: ['error.sh'] },
      ],
      vdu: [{ name: 'vdu', scale_in_out: 3, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
  ],
});
const packageOf = (name: string) => ({ packages: { [name]: { scripts: scripts(['install.sh', 'start.sh', 'error.sh']) } } });

describe.sequential('answers of the NFVO as Open Baton 6.0 sends them', () => {
  let h: Harness;
  let recorded: ReturnType<typeof recordMessages>;
  beforeAll(async () => {
    h = await startHarness({ url: vhost.url });
    recorded = recordMessages(h.sim);
  }, 60_000);
  afterAll(async () => h.close());

  const fromVnfm = (action: string, name: string): Record<string, unknown>[] => recorded.fromVnfm(action, name);

  it('a refused GRANT: the ERROR reply carries the VNFR the NFVO saved (its id), so ErrorTask updates that record', async () => {
    h.sim.faults = { refuseGrant: 'Not enough resources for deploying VNFR refused-grant' };
    const nsrId = await h.sim.deploy(nsd(h.type, 'refused-grant'), packageOf('refused-grant'));
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    h.sim.faults = {};
    // The NFVO put the VNFR in ERROR when it refused; the VNFM's ERROR reply follows.
    await expect.poll(() => fromVnfm('ERROR', 'refused-grant').length, { timeout: 10_000 }).toBe(1);
    const saved = h.sim.vnfr(nsrId, 'refused-grant');
    const [error] = fromVnfm('ERROR', 'refused-grant');
    expect((error?.['virtualNetworkFunctionRecord'] as { id?: string }).id).toBe(saved.id);
    expect((error?.['exception'] as { detailMessage?: string }).detailMessage).toContain(
      'Not enough resources for deploying VNFR refused-grant',
    );
    expect(h.sim.vnfrsOf(nsrId)).toHaveLength(1);
    expect(h.sim.duplicateVnfrs(nsrId)).toEqual([]);
  });

  it('a refused ALLOCATE: the ERROR reply carries the saved VNFR too', async () => {
    h.sim.faults = { refuseAllocate: 'Quota exceeded on the VIM' };
    const nsrId = await h.sim.deploy(nsd(h.type, 'refused-allocate'), packageOf('refused-allocate'));
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    h.sim.faults = {};
    const [error] = fromVnfm('ERROR', 'refused-allocate');
    const carried = error?.['virtualNetworkFunctionRecord'] as { id?: string; hbVersion?: number };
    expect(carried.id).toBe(h.sim.vnfr(nsrId, 'refused-allocate').id);
    // The NFVO saved the VNFR before refusing (hbVersion + 1): an ERROR with the granted copy would fail its
    // optimistic lock in ErrorTask.
    const answer = recorded.events.find(
      (e) =>
        e.direction === 'to-vnfm' && e.action === 'ERROR' && (e.body as { vnfr?: { name?: string } }).vnfr?.name === 'refused-allocate',
    );
    expect(carried.hbVersion).toBe((answer?.body as { vnfr: { hbVersion: number } }).vnfr.hbVersion);
    expect(fromVnfm('ALLOCATE_RESOURCES', 'refused-allocate')[0]?.['virtualNetworkFunctionRecord']).not.toMatchObject({
      hbVersion: carried.hbVersion,
    });
    expect(h.sim.duplicateVnfrs(nsrId)).toEqual([]);
  });

  it('null to GRANT (a task that failed in the NFVO): the INSTANTIATE is answered null, the NFVO ERROR command is handled, the VNFM keeps working', async () => {
    h.sim.faults = { answerNull: { action: 'GRANT_OPERATION', cause: 'failure' } };
    const before = recorded.events.length;
    const nsrId = await h.sim.deploy(nsd(h.type, 'null-grant'), packageOf('null-grant'));
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    h.sim.faults = {};
    // Both the INSTANTIATE and the NFVO's own ERROR command are answered null.
    await expect
      .poll(() => recorded.events.slice(before).filter((e) => e.direction === 'from-vnfm' && e.action === 'null').length, {
        timeout: 10_000,
      })
      .toBe(2);
    expect(fromVnfm('ERROR', 'null-grant')).toEqual([]);
    expect(fromVnfm('ALLOCATE_RESOURCES', 'null-grant')).toEqual([]);
  });

  it('null to ALLOCATE because the NSR was deleted meanwhile: answered null, nothing else happens, the VNFM keeps working', async () => {
    h.sim.faults = { answerNull: { action: 'ALLOCATE_RESOURCES', cause: 'nsr-deleted' } };
    const before = recorded.events.length;
    await h.sim.deploy(nsd(h.type, 'null-allocate'), packageOf('null-allocate'));
    await expect
      .poll(() => recorded.events.slice(before).filter((e) => e.direction === 'from-vnfm' && e.action === 'null').length, {
        timeout: 30_000,
      })
      .toBe(1);
    h.sim.faults = {};
    expect(fromVnfm('ERROR', 'null-allocate')).toEqual([]);
    const nsrId = await h.sim.deploy(nsd(h.type, 'after-null'), packageOf('after-null'));
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
  });

  it("a refused SCALING: the VNFM runs the ERROR scripts with the NFVO's VNFR and answers SCALE_OUT null; the VNFR stays ACTIVE", async () => {
    const nsrId = await h.sim.deploy(nsd(h.type, 'scaler'), packageOf('scaler'));
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    h.sim.faults = { refuseScaling: 'Please consider enabling checkQuota ;)' };
    const before = recorded.events.length;
    await h.sim.scaleOut(nsrId, 'scaler');
    h.sim.faults = {};
    expect(
      recorded.events
        .slice(before)
        .filter((e) => e.direction === 'from-vnfm')
        .map((e) => e.action),
    ).toEqual(['SCALING', 'null']);
    expect(h.sim.vnfr(nsrId, 'scaler').status).toBe('ACTIVE');
    expect(await runs(h.vim, 'scaler-1')).toEqual(['install.sh', 'start.sh', 'error.sh']);
  });
});
