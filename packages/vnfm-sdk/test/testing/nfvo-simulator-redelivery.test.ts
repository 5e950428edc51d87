// The simulator answers a VNFM request once per correlation id: a redelivery (its connection dropped
// before the ack) gets the first answer again — also while the first is still being answered — instead
// of a second GRANT_OPERATION or ALLOCATE_RESOURCES. In-process broker, no agents.
import { EXCHANGE, VNFM_NFVO_ACTIONS_REPLY } from '@vnfkit/protocol';
import { afterEach, expect, it } from 'vitest';
import { InProcessVim, NfvoSimulator, type MessageEvent } from '../../src/testing/index.js';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';
import type { IncomingMessage } from '@vnfkit/transport';
import { waitFor } from '../helpers/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

it('a request delivered twice with one correlation id is answered twice with the first answer and handled once', async () => {
  const broker = new MemoryBroker();
  const vim = new InProcessVim(async () => createMemoryTransport(broker));
  const sim = await NfvoSimulator.create({ transport: createMemoryTransport(broker), vim, brokerUrl: 'amqp://in-process' });
  const vnfm = createMemoryTransport(broker);
  cleanup.push(
    () => vim.close(),
    () => sim.close(),
    () => vnfm.close(),
  );
  const handled: MessageEvent[] = [];
  sim.on('message', (m) => {
    if (m.direction === 'from-vnfm') handled.push(m);
  });
  const replyQueue = await vnfm.declareQueue('replies', { exclusive: true });
  const replies: IncomingMessage[] = [];
  await vnfm.consume(replyQueue, async (m) => {
    replies.push(m);
  });

  // Held at the simulator, so the second delivery arrives while the first is still being answered.
  sim.faults = { requestDelayMs: 60_000 };
  const grant = JSON.stringify({ action: 'GRANT_OPERATION', virtualNetworkFunctionRecord: { name: 'v', parent_ns_id: 'no-such-nsr' } });
  for (let i = 0; i < 2; i++)
    await vnfm.publish(EXCHANGE, VNFM_NFVO_ACTIONS_REPLY, grant, { correlationId: 'grant-1', replyTo: replyQueue });
  await waitFor(() => handled.length === 1, { what: 'the first delivery at the simulator' });
  sim.faults = {};
  await waitFor(() => replies.length === 2, { what: 'two replies' });
  expect(handled).toHaveLength(1);
  expect(replies.map((r) => r.properties.correlationId)).toEqual(['grant-1', 'grant-1']);
  expect(replies[1]?.body.toString()).toBe(replies[0]?.body.toString());
  // No NSR of that id: no task runs, the answer is null (VnfStateHandler.java:124-128).
  expect(JSON.parse(replies[0]?.body.toString() ?? '{}')).toBeNull();

  // A later delivery of the same id (a redelivery after the first was answered) gets the stored answer.
  await vnfm.publish(EXCHANGE, VNFM_NFVO_ACTIONS_REPLY, grant, { correlationId: 'grant-1', replyTo: replyQueue });
  await waitFor(() => replies.length === 3, { what: 'the third reply' });
  expect(handled).toHaveLength(1);
});
