// The VNFM test shown in docs/testing-your-vnfm.md: NFVO simulator + in-process agents, no broker needed.
import { MemoryBroker, createMemoryTransport } from '@vnfkit/vnfm-sdk';
import { InProcessVim, NfvoSimulator } from '@vnfkit/vnfm-sdk/testing';
import { afterEach, expect, it } from 'vitest';
import { HelloVnfm as MyVnfm } from './hello-vnfm.js'; // your VNFM: here the one of docs/writing-a-vnfm.md

const SCRIPTS = { 'start.sh': '#!/bin/sh\necho "started on $hostname"\n' };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

it('deploys a two-VNF service and terminates it', async () => {
  const broker = new MemoryBroker(); // swap for createAmqpTransport({ url }) to test over RabbitMQ
  const vim = new InProcessVim(async () => createMemoryTransport(broker));
  const sim = await NfvoSimulator.create({ transport: createMemoryTransport(broker), vim, brokerUrl: 'amqp://in-process' });
  const vnfm = new MyVnfm({ type: 'mine', transportFactory: async () => createMemoryTransport(broker) });
  await vnfm.connect();
  cleanup.push(
    () => vim.close(),
    () => sim.close(),
    () => vnfm.close(),
  );

  const nsrId = await sim.deploy(
    {
      name: 'demo',
      vnfd: [
        { name: 'server', type: 'server', endpoint: 'mine', vdu: [{ name: 'v', vnfc: [{}] }] },
        { name: 'client', type: 'client', endpoint: 'mine', vdu: [{ name: 'v', vnfc: [{}] }] },
      ],
      vnf_dependency: [{ source: { name: 'server' }, target: { name: 'client' }, parameters: ['private'] }],
    },
    { packages: { server: { scripts: SCRIPTS }, client: { scripts: SCRIPTS } } },
  );

  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  expect(sim.vnfr(nsrId, 'client').lifecycle_event_history?.map((h) => h.event)).toContain('CONFIGURE');

  await sim.terminate(nsrId);
  expect(sim.nsStatus(nsrId)).toBe('TERMINATED');
});
