import { afterEach, expect, it } from 'vitest';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';
import { NfvoPeer } from '../helpers/nfvo-peer.js';
import { HelloVnfm } from './hello-vnfm.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

it('the VNFM of docs/writing-a-vnfm.md instantiates against the test NFVO peer', async () => {
  const broker = new MemoryBroker();
  const peer = new NfvoPeer(createMemoryTransport(broker));
  await peer.start();
  cleanups.push(() => peer.transport.close());
  const vnfm = new HelloVnfm({ type: 'hello', transportFactory: async () => createMemoryTransport(broker) });
  await vnfm.connect();
  cleanups.push(() => vnfm.close());
  // The agent of the VM the peer allocates (hostname hello-vnf-1) says hello.
  await peer.transport.publish('', 'ems.hello.register', '{"hostname":"hello-vnf-1"}');
  const reply = await peer.command('hello', {
    action: 'INSTANTIATE',
    extension: { 'nsr-id': 'nsr-1' },
    keys: [],
    vnfd: { name: 'hello-vnf', type: 'hello', endpoint: 'hello', provides: ['state'], vdu: [{ id: 'v1', name: 'vdu', vnfc: [{}] }] },
  });
  expect(reply).toMatchObject({
    action: 'INSTANTIATE',
    virtualNetworkFunctionRecord: { provides: { configurationParameters: [{ confKey: 'state', value: 'ready' }] } },
  });
  // The user data that brings the agent onto the VM: the agent's template, filled in.
  const allocate = peer.requests.find((r) => r.action === 'ALLOCATE_RESOURCES') as { userdata?: string } | undefined;
  expect(allocate?.userdata).toContain('vnfkit-ems');
  expect(allocate?.userdata).toContain("'hello'");
});
