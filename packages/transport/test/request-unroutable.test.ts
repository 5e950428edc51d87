// `retryUnroutable` against the real RabbitMQ: a request published while no queue is bound (an agent's
// auto-delete actions queue while the agent reconnects) is returned by the broker and sent again until a
// queue takes it; one that no queue ever takes times out saying so. Both transports keep that contract.
import { describe, expect, it } from 'vitest';
import { createAmqpTransport, type AmqpTransport } from '../src/index.js';
import { createMemoryTransport, MemoryBroker } from '../src/index.js';
import type { Transport } from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';

async function connect(): Promise<AmqpTransport> {
  const connectionName = uniqueName('unroutable');
  const transport = await createAmqpTransport({
    url: AMQP_URL,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    connectTimeoutMs: 5_000,
    closeTimeoutMs: 5_000,
    connectionName,
  });
  return teardown.track(transport, `amqp transport ${connectionName}`);
}

/** The shared contract, run against either transport (`server` declares the queue late). */
function contract(open: () => Promise<{ client: Transport; server: Transport }>): void {
  it('a request sent before its queue exists is delivered once the queue is bound, exactly once', async () => {
    const { client, server } = await open();
    const exchange = uniqueName('ex');
    await server.declareExchange(exchange, 'topic', { durable: false, autoDelete: true });
    const key = uniqueName('vnfm.host.actions');
    const started = Date.now();
    const reply = client.request(exchange, key, 'job', { timeoutMs: 10_000, waitedFor: 'the late queue', retryUnroutable: true });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const seen: string[] = [];
    const queue = await server.declareQueue(key, { autoDelete: true });
    await server.bindQueue(queue, exchange, key);
    await server.consume(queue, async (m) => {
      seen.push(m.body.toString());
      await server.reply(m, `done:${m.body.toString()}`);
    });
    expect((await reply).body.toString()).toBe('done:job');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    await new Promise((resolve) => setTimeout(resolve, 400)); // no late duplicate
    expect(seen).toEqual(['job']);
  });

  it('a request no queue ever takes times out saying so; without retryUnroutable it times out plainly', async () => {
    const { client, server } = await open();
    const exchange = uniqueName('ex');
    await server.declareExchange(exchange, 'topic', { durable: false, autoDelete: true });
    await expect(
      client.request(exchange, uniqueName('nobody'), 'job', { timeoutMs: 700, waitedFor: 'nobody', retryUnroutable: true }),
    ).rejects.toThrow(/nobody.*no queue took the request: the broker returned it \d+ times as unroutable/);
    const plain = client.request(exchange, uniqueName('nobody'), 'job', { timeoutMs: 300, waitedFor: 'nobody' });
    await expect(plain).rejects.toThrow(/nobody/);
    await expect(plain).rejects.not.toThrow(/unroutable/);
  });
}

describeBroker('retryUnroutable (real RabbitMQ)', () => {
  contract(async () => {
    const server = await connect();
    return { client: await connect(), server };
  });
});

describe('retryUnroutable (memory transport)', () => {
  contract(async () => {
    const broker = new MemoryBroker();
    const server = teardown.track(createMemoryTransport(broker), 'memory server');
    const client = teardown.track(createMemoryTransport(broker), 'memory client');
    return { client, server };
  });
});
