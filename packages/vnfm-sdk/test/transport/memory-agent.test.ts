// The agent's in-process mode: a real @vnfkit/ems-agent on the SDK memory transport, running a real script.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type AgentTransport } from '@vnfkit/ems-agent';
import { EXCHANGE, decodeEmsHello, decodeEmsReply, emsActionsQueue, emsRegisterQueue, encodeMessage, toBase64 } from '@vnfkit/protocol';
import { afterEach, expect, it } from 'vitest';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

it('runs an EMS agent in-process on the memory transport', async () => {
  const broker = new MemoryBroker();
  const vnfm = createMemoryTransport(broker);
  cleanup.push(() => vnfm.close());
  await vnfm.declareExchange(EXCHANGE, 'topic');
  const register = await vnfm.declareQueue(emsRegisterQueue('generic'), { durable: true, autoDelete: true });
  await vnfm.bindQueue(register, EXCHANGE, register);
  const hello = new Promise<string>((resolve) => {
    void vnfm.consume(register, async (m) => resolve(decodeEmsHello(m.body).hostname));
  });

  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-inproc-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const link: AgentTransport = createMemoryTransport(broker);
  const agent = await createAgent({
    config: { hostname: 'inproc-1', type: 'generic', scripts_dir: join(dir, 'scripts'), state_dir: join(dir, 'state') },
    transport: link,
  });
  cleanup.push(() => agent.close());
  await agent.start();
  expect(await hello).toBe('inproc-1');

  const send = async (command: object) => {
    const reply = await vnfm.request(EXCHANGE, emsActionsQueue('inproc-1'), encodeMessage(command).body, { timeoutMs: 10_000 });
    return decodeEmsReply(reply.body);
  };
  const saved = await send({
    action: 'SAVE_SCRIPTS',
    name: 'hi.sh',
    payload: toBase64('echo "hi $WHO"\n'),
    'script-path': '/opt/openbaton/scripts',
  });
  expect(saved.status).toBe(0);
  const ran = await send({ action: 'EXECUTE', payload: 'hi.sh', env: { WHO: 'memory' } });
  expect(ran).toMatchObject({ status: 0, output: 'hi memory\n' });
});
