// The simulator refuses what the Open Baton 6.0 NFVO refuses (NSD integrity, scaling limits) and takes VNFD
// `requires` as the NFVO does. In-process agents on the memory transport (the scripts still run as real processes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allVnfcs } from '@vnfkit/protocol';
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { afterEach, expect, it } from 'vitest';
import { InProcessVim, NfvoSimulator, type MessageEvent } from '../../src/testing/index.js';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';

import { SCRIPTS, ScriptVnfm } from './script-vnfm.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

/** The raw sample (not parsed: the simulator must validate it itself). */
const sample = (file: string): NetworkServiceDescriptor =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'openbaton-samples', file), 'utf8'),
  ) as NetworkServiceDescriptor;

async function setup(type = 'rules') {
  const broker = new MemoryBroker();
  const vim = new InProcessVim(async () => createMemoryTransport(broker));
  const sim = await NfvoSimulator.create({ transport: createMemoryTransport(broker), vim, brokerUrl: 'amqp://in-process' });
  const vnfm = new ScriptVnfm({ type, transportFactory: async () => createMemoryTransport(broker) });
  await vnfm.connect();
  cleanups.push(
    () => vim.close(),
    () => sim.close(),
    () => vnfm.close(),
  );
  const messages: MessageEvent[] = [];
  sim.on('message', (m) => messages.push(m));
  return { sim, vim, messages };
}

it('deploys an NSD whose dependency is a VNFD `requires` map to ACTIVE; MODIFY carries the source VNFC values', async () => {
  const { sim, messages } = await setup('dummy');
  const nsd = sample('NetworkServiceDescriptor-iperf-dummy-requires-provides.json');
  const nsrId = await sim.deploy(nsd, { packages: { 'iperf-server': { scripts: SCRIPTS }, 'iperf-client': { scripts: SCRIPTS } } });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  const instantiate = messages.find(
    (m) => m.direction === 'to-vnfm' && m.action === 'INSTANTIATE' && (m.body as { vnfd: { name: string } }).vnfd.name === 'iperf-client',
  )?.body as { vnfd: { requires: Record<string, unknown> } };
  expect(Object.keys(instantiate.vnfd.requires)).toEqual(['iperf-server']);
  const modify = messages.find((m) => m.direction === 'to-vnfm' && m.action === 'MODIFY')?.body as {
    vnfrd: {
      target: string;
      idType: Record<string, string>;
      vnfcParameters: { server: { parameters: Record<string, { parameters: Record<string, string> }> } };
    };
  };
  expect(modify.vnfrd.target).toBe('iperf-client');
  expect(modify.vnfrd.idType).toEqual({ 'iperf-server': 'server' });
  const serverVnfc = allVnfcs(sim.vnfr(nsrId, 'iperf-server'))[0];
  expect(modify.vnfrd.vnfcParameters.server.parameters).toEqual({
    [serverVnfc?.id ?? '']: { parameters: { private: serverVnfc?.ips?.[0]?.ip } },
  });
  expect(sim.vnfr(nsrId, 'iperf-client').lifecycle_event_history?.map((h) => h.event)).toContain('CONFIGURE');
});

it('refuses, before sending anything, an NSD with an undefined lifecycle event (the NFVO message)', async () => {
  const { sim, messages } = await setup('dummy');
  await expect(sim.deploy(sample('NetworkServiceDescriptor-wrong-lifecycle-name.json'))).rejects.toThrow(
    'Event in one LifecycleEvent of VNFD undefinedlifecycleevent does not exist',
  );
  expect(messages.filter((m) => m.direction === 'to-vnfm')).toEqual([]);
});

it('refuses an NSD the protocol schema rejects, naming the field', async () => {
  const { sim, messages } = await setup();
  const bad = {
    name: 'ns',
    vnfd: [{ name: 'v', endpoint: 'rules', vdu: [{ name: 'x', scale_in_out: 'many' }] }],
  } as unknown as NetworkServiceDescriptor;
  await expect(sim.deploy(bad)).rejects.toThrow(/NSD ns is not a valid NetworkServiceDescriptor: .*vnfd\[0\]\.vdu\[0\]\.scale_in_out/);
  expect(messages.filter((m) => m.direction === 'to-vnfm')).toEqual([]);
});

it('refuses a scale-out past scale_in_out and a scale-in of the last VNFC, with the NFVO messages, sending nothing', async () => {
  const { sim, messages } = await setup();
  const nsd: NetworkServiceDescriptor = {
    name: 'ns',
    vnfd: [
      {
        name: 'srv',
        type: 'server',
        endpoint: 'rules',
        vdu: [{ name: 'v', scale_in_out: 2, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
      },
    ],
  };
  const nsrId = await sim.deploy(nsd, { packages: { srv: { scripts: SCRIPTS } } });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });

  let sent = messages.filter((m) => m.direction === 'to-vnfm').length;
  await expect(sim.scaleIn(nsrId, 'srv', 'srv-1')).rejects.toThrow(
    'The VirtualDeploymentUnit chosen has reached the minimum number of VNFCInstance',
  );
  expect(messages.filter((m) => m.direction === 'to-vnfm')).toHaveLength(sent);
  expect(allVnfcs(sim.vnfr(nsrId, 'srv'))).toHaveLength(1);

  await sim.scaleOut(nsrId, 'srv');
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  expect(allVnfcs(sim.vnfr(nsrId, 'srv'))).toHaveLength(2);

  sent = messages.filter((m) => m.direction === 'to-vnfm').length;
  const hbVersion = sim.vnfr(nsrId, 'srv').hbVersion;
  await expect(sim.scaleOut(nsrId, 'srv')).rejects.toThrow(
    'The VirtualDeploymentUnit chosen has reached the maximum number of VNFCInstance',
  );
  expect(messages.filter((m) => m.direction === 'to-vnfm')).toHaveLength(sent);
  expect(sim.vnfr(nsrId, 'srv').hbVersion).toBe(hbVersion);
  expect(sim.vnfr(nsrId, 'srv').vdu?.[0]?.vnfc).toHaveLength(2);
  expect(sim.nsStatus(nsrId)).toBe('ACTIVE');
});
