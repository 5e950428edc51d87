// The test kit end to end: NfvoSimulator drives an SDK VNFM over REAL RabbitMQ; VMs are REAL vnfkit-ems processes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalVim, NfvoSimulator, type MessageEvent } from '../../src/testing/index.js';
import { createAmqpTransport } from '@vnfkit/transport';
import { managerEndpoint, registerWithNfvo } from '../../src/nfvo/nfvo-client.js';
import { privateVhost, uniqueName } from '../helpers/broker.js';
import { SCRIPTS, ScriptVnfm } from './script-vnfm.js';

const vhost = privateVhost('sim');
afterAll(() => vhost.remove());
const defaultCleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of defaultCleanups.splice(0).reverse()) await f();
});

const iperfNsd = (type: string): NetworkServiceDescriptor => ({
  name: 'iperf-ns',
  vnfd: [
    {
      name: 'iperf-server',
      type: 'server',
      endpoint: type,
      provides: [],
      lifecycle_event: [],
      vdu: [{ name: 'vdu', scale_in_out: 3, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
    {
      name: 'iperf-client',
      type: 'client',
      endpoint: type,
      lifecycle_event: [],
      vdu: [{ name: 'vdu', scale_in_out: 1, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
  ],
  vnf_dependency: [{ source: { name: 'iperf-server' }, target: { name: 'iperf-client' }, parameters: ['private', 'hostname'] }],
});

async function setup(options: { commandTimeoutMs?: number; cleanups?: (() => Promise<void>)[] } = {}) {
  const cleanups = options.cleanups ?? defaultCleanups;
  const type = uniqueName('kit').replace(/-/g, '');
  const nfvoTransport = await createAmqpTransport({ url: vhost.url });
  cleanups.push(() => nfvoTransport.close());
  const vim = new LocalVim();
  cleanups.push(() => vim.close());
  const sim = await NfvoSimulator.create({
    transport: nfvoTransport,
    vim,
    brokerUrl: vhost.url,
    commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
  });
  cleanups.push(() => sim.close());
  const messages: MessageEvent[] = [];
  sim.on('message', (m) => messages.push(m));
  const vnfm = new ScriptVnfm({ type, amqpUrl: vhost.url, bootstrapCredentials: { username: 'guest', password: 'guest' } });
  await vnfm.connect();
  cleanups.push(async () => {
    vnfm.release();
    await vnfm.close();
  });
  return { type, sim, vim, vnfm, messages };
}

const steps = async (vim: LocalVim, host: string): Promise<string[]> =>
  (await readFile(join(vim.scriptsDir(host), 'steps.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

describe.sequential('NfvoSimulator + LocalVim + an SDK VNFM', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let nsrId = '';
  const suiteCleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    env = await setup({ cleanups: suiteCleanups });
  }, 60_000);
  afterAll(async () => {
    for (const f of suiteCleanups.splice(0).reverse()) await f();
  });

  it('deploys: INSTANTIATE (grant, allocate) → MODIFY with the server IP → START, with Open Baton field names', async () => {
    const { sim, vim, messages, type } = env;
    expect(sim.endpoints.get(type)).toBe(type);
    nsrId = await sim.deploy(iperfNsd(type), { packages: { 'iperf-server': { scripts: SCRIPTS }, 'iperf-client': { scripts: SCRIPTS } } });
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    const server = sim.vnfr(nsrId, 'iperf-server');
    const client = sim.vnfr(nsrId, 'iperf-client');
    const serverHost = server.vdu?.[0]?.vnfc_instance?.[0]?.hostname ?? '';
    const serverIp = server.vdu?.[0]?.vnfc_instance?.[0]?.ips?.[0]?.ip ?? '';
    const clientHost = client.vdu?.[0]?.vnfc_instance?.[0]?.hostname ?? '';
    expect(serverHost).toBe('iperf-server-1');
    expect(await steps(vim, serverHost)).toEqual(['instantiate iperf-server-1', 'start iperf-server-1']);
    expect(await steps(vim, clientHost)).toEqual([
      'instantiate iperf-client-1',
      `configure iperf-client-1 ${serverIp},iperf-server-1`,
      'start iperf-client-1',
    ]);

    const byAction = (a: string, d: MessageEvent['direction']) =>
      messages.find((m) => m.action === a && m.direction === d)?.body as Record<string, unknown>;
    expect(Object.keys(byAction('INSTANTIATE', 'to-vnfm'))).toEqual(
      expect.arrayContaining(['vnfd', 'vnfdf', 'extension', 'vimInstances', 'vnfPackage', 'keys', 'vlrs']),
    );
    expect(Object.keys(byAction('GRANT_OPERATION', 'from-vnfm'))).toEqual(['action', 'virtualNetworkFunctionRecord']);
    expect(Object.keys(byAction('GRANT_OPERATION', 'to-vnfm'))).toEqual(
      expect.arrayContaining(['grantAllowed', 'vduVim', 'virtualNetworkFunctionRecord']),
    );
    expect(byAction('ALLOCATE_RESOURCES', 'from-vnfm')).toHaveProperty('keyPairs');
    const modify = byAction('MODIFY', 'to-vnfm') as {
      vnfr: unknown;
      vnfrd: { target: string; idType: Record<string, string>; vnfcParameters: Record<string, unknown> };
    };
    expect(modify.vnfr).toBeDefined();
    expect(modify.vnfrd.target).toBe('iperf-client');
    expect(modify.vnfrd.idType).toEqual({ 'iperf-server': 'server' });
    expect(Object.keys(byAction('START', 'to-vnfm'))).toEqual(['action', 'virtualNetworkFunctionRecord']);
    expect(client.lifecycle_event_history?.map((h) => h.event)).toEqual(['GRANTED', 'ALLOCATE', 'INSTANTIATE', 'CONFIGURE', 'START']);
  });

  it('scales the server out (client re-configured with only the new VNFC), then in (SCALE_IN to the client)', async () => {
    const { sim, vim, messages } = env;
    const before = messages.length;
    await sim.scaleOut(nsrId, 'iperf-server');
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(sim.vnfr(nsrId, 'iperf-server').vdu?.[0]?.vnfc_instance).toHaveLength(2);
    expect(await steps(vim, 'iperf-server-2')).toEqual(['instantiate iperf-server-2', 'start iperf-server-2']);
    const modify = messages.slice(before).find((m) => m.action === 'MODIFY' && m.direction === 'to-vnfm')?.body as {
      vnfrd: { vnfcParameters: { server: { parameters: Record<string, unknown> } } };
    };
    expect(Object.keys(modify.vnfrd.vnfcParameters.server.parameters)).toHaveLength(1);
    expect((await steps(vim, 'iperf-client-1')).at(-1)).toMatch(/^configure iperf-client-1 127\.[\d.]+,iperf-server-2$/);
    const scaledReply = messages.slice(before).find((m) => m.action === 'SCALED' && m.direction === 'from-vnfm')?.body;
    expect(scaledReply).toHaveProperty('vnfcInstance');

    await sim.scaleIn(nsrId, 'iperf-server', 'iperf-server-2');
    expect((await steps(vim, 'iperf-client-1')).at(-1)).toBe('scale_in iperf-client-1 iperf-server-2');
    expect(sim.vnfr(nsrId, 'iperf-server').vdu?.[0]?.vnfc_instance).toHaveLength(1);
    expect(vim.hostnames()).not.toContain('iperf-server-2');
  });

  it('heals one VNFC and stops/starts one VNFC', async () => {
    const { sim, vim } = env;
    await sim.heal(nsrId, 'iperf-server', { hostname: 'iperf-server-1', cause: 'serviceDown' });
    expect((await steps(vim, 'iperf-server-1')).at(-1)).toBe('heal iperf-server-1 serviceDown');
    await sim.startStop(nsrId, 'iperf-server', { action: 'STOP', hostname: 'iperf-server-1' });
    expect(sim.vnfr(nsrId, 'iperf-server').status).toBe('INACTIVE');
    await sim.startStop(nsrId, 'iperf-server', { action: 'START', hostname: 'iperf-server-1' });
    expect(sim.vnfr(nsrId, 'iperf-server').status).toBe('ACTIVE');
    expect((await steps(vim, 'iperf-server-1')).slice(-2)).toEqual(['stop iperf-server-1', 'start iperf-server-1']);
  });

  it('terminates: RELEASE_RESOURCES to every VNFR, then the VMs are deleted', async () => {
    const { sim, vim } = env;
    await sim.terminate(nsrId);
    expect(sim.nsStatus(nsrId)).toBe('TERMINATED');
    expect(vim.hostnames()).toEqual([]);
  });
});

describe('NfvoSimulator error paths', () => {
  it('puts the VNFR in ERROR with a timeout message when the VNFM never answers', async () => {
    const { sim, vnfm, type } = await setup({ commandTimeoutMs: 1_500 });
    vnfm.silent = true;
    const nsrId = await sim.deploy(
      { name: 'ns', vnfd: [{ name: 'mute', type: 'x', endpoint: type, vdu: [{ name: 'v', vnfc: [{}] }] }] },
      { packages: { mute: { scripts: SCRIPTS } } },
    );
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(sim.vnfr(nsrId, 'mute').lifecycle_event_history?.at(-1)?.description).toMatch(
      /timed out after 1500 ms waiting for VNFM .* to answer INSTANTIATE/,
    );
  });

  it('puts the VNFR in ERROR when its INSTANTIATE never reaches a VNFM (no GRANT_OPERATION, no record yet): the NS is ERROR, not NULL', async () => {
    const { sim } = await setup({ commandTimeoutMs: 1_000 });
    // A VNFM that registered and then never consumed its queue: its commands reach nobody.
    const ghost = uniqueName('ghost').replace(/-/g, '');
    const transport = await createAmqpTransport({ url: vhost.url });
    defaultCleanups.push(() => transport.close());
    await registerWithNfvo(transport, {
      endpoint: managerEndpoint({ type: ghost, endpoint: ghost, description: 'never consumes' }),
      timeoutMs: 10_000,
      attempts: 1,
    });
    const nsrId = await sim.deploy(
      { name: 'ns', vnfd: [{ name: 'lost', type: 'x', endpoint: ghost, vdu: [{ name: 'v', vnfc: [{}] }] }] },
      { packages: { lost: { scripts: SCRIPTS } } },
    );
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(sim.vnfr(nsrId, 'lost').lifecycle_event_history?.at(-1)?.description).toMatch(
      new RegExp(`timed out after 1000 ms waiting for VNFM ${ghost} to answer INSTANTIATE`),
    );
  });

  it('rejects a save whose hbVersion is stale, as JPA does', async () => {
    const { sim, type } = await setup();
    const nsrId = await sim.deploy(
      { name: 'ns', vnfd: [{ name: 'solo', type: 'x', endpoint: type, vdu: [{ name: 'v', vnfc: [{}] }] }] },
      { packages: { solo: { scripts: SCRIPTS } } },
    );
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    const stale = structuredClone(sim.vnfr(nsrId, 'solo'));
    stale.hbVersion = 0;
    // A VNFM echoing an old record: the simulator refuses the save and fails the VNFR.
    const transport = await createAmqpTransport({ url: vhost.url });
    defaultCleanups.push(() => transport.close());
    await transport.publish('', 'vnfm.nfvo.actions', JSON.stringify({ action: 'UPDATE', virtualNetworkFunctionRecord: stale }));
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 10_000 });
    expect(sim.vnfr(nsrId, 'solo').lifecycle_event_history?.at(-1)?.description).toContain('optimistic locking failed');
  });

  it('answers a refused grant with ERROR and reports it in the VNFR history', async () => {
    const { sim, type } = await setup();
    sim.faults = { refuseGrant: 'Not enough resources for deploying VNFR refused' };
    const nsrId = await sim.deploy({
      name: 'ns',
      vnfd: [{ name: 'refused', type: 'x', endpoint: type, vdu: [{ name: 'v', vnfc: [{}] }] }],
    });
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 10_000 });
    expect(sim.vnfr(nsrId, 'refused').lifecycle_event_history?.at(-1)).toMatchObject({
      event: 'ERROR',
      description: expect.stringContaining('Not enough resources'),
    });
  });
});
