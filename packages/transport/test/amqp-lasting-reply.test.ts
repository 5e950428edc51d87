// The `lasting-queue` reply mode against the real RabbitMQ: a request in flight survives its own
// connection being force-closed, and gets the reply the peer sent while it was reconnecting.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { createAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from '../src/index.js';
import type { IncomingMessage } from '../src/index.js';
import { AMQP_URL, closeConnectionsNamed, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { deferred, nextEvent, waitFor } from '../../vnfm-sdk/test/helpers/wait.js';

async function connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  const connectionName = options.connectionName ?? uniqueName('lasting');
  const transport = await createAmqpTransport({
    url: AMQP_URL,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    connectTimeoutMs: 5_000,
    closeTimeoutMs: 5_000,
    ...options,
    connectionName,
  });
  return teardown.track(transport, `amqp transport ${connectionName}`);
}

describeBroker('amqp transport lasting-queue replies (real RabbitMQ)', () => {
  it('a request in flight when its connection is closed gets the reply sent meanwhile, once; the reply queue is removed on close', async () => {
    const server = await connect();
    const clientName = uniqueName('lasting-client');
    const client = await connect({ connectionName: clientName, replyMode: 'lasting-queue' });
    const queue = await server.declareQueue(uniqueName('svc'), { exclusive: true });
    const held: IncomingMessage[] = [];
    const release = deferred();
    await server.consume(
      queue,
      async (m) => {
        held.push(m);
        await release.promise;
        await server.reply(m, `done:${m.body.toString()}`);
      },
      { prefetch: 10 },
    );

    const reply = client.request('', queue, 'job-1', { timeoutMs: 20_000, waitedFor: 'the job' });
    await waitFor(() => held.length === 1, { what: 'the request at the server' });
    const replyQueue = held[0]?.properties.replyTo ?? '';
    expect(replyQueue).toMatch(/^vnfkit\.reply\./);
    // Durable: it outlives a broker restart as well (the replies themselves are not persistent).
    const listed = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name', 'durable', 'arguments'], { encoding: 'utf8' })
      .split('\n')
      .find((line) => line.startsWith(`${replyQueue}\t`));
    expect(listed?.split('\t')[1]).toBe('true');

    const reconnected = nextEvent(client, 'reconnected', { timeoutMs: 15_000 });
    expect(closeConnectionsNamed(clientName)).toBe(1);
    // The server answers while the client is (or just was) away: the reply waits in the lasting queue.
    release.resolve();
    await reconnected;
    const answer = await reply;
    expect(answer.body.toString()).toBe('done:job-1');
    expect(held).toHaveLength(1);

    // Later requests use the same queue on the new connection.
    const second = await client.request('', queue, 'job-2', { timeoutMs: 10_000 });
    expect(second.body.toString()).toBe('done:job-2');
    expect(held[1]?.properties.replyTo).toBe(replyQueue);

    await client.close();
    // Gone with a graceful close (a crashed process leaves it to x-expires): declaring the name again
    // with other flags works only when no such queue is left.
    await expect(server.declareQueue(replyQueue, { exclusive: true })).resolves.toBe(replyQueue);
  });
});
