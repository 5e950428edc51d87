// Requests without a correlation id (the Open Baton 6.0 NFVO's way, Spring AMQP 1.7) against the real RabbitMQ:
// each request consumes a fresh direct reply-to address on a cached channel, as Spring's CachingConnectionFactory
// hands out (and takes back) channels. A direct reply-to address is `amq.rabbitmq.reply-to.<channel>.<key>`.
import { TimeoutError } from '@vnfkit/protocol';
import { expect, it } from 'vitest';
import { createAmqpTransport, type AmqpTransport, type IncomingMessage } from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';

async function connect(): Promise<AmqpTransport> {
  const connectionName = uniqueName('no-id');
  const transport = await createAmqpTransport({ url: AMQP_URL, connectionName, connectTimeoutMs: 5_000, closeTimeoutMs: 5_000 });
  return teardown.track(transport, `amqp transport ${connectionName}`);
}

/** The channel part of a direct reply-to address (without the per-consume key). */
function channelOf(replyTo: string | undefined): string {
  const address = replyTo ?? '';
  expect(address).toMatch(/^amq\.rabbitmq\.reply-to\.[^.]+\.[^.]+$/);
  return address.slice(0, address.lastIndexOf('.'));
}

describeBroker('amqp transport: requests without a correlation id (real RabbitMQ)', () => {
  it('takes each request a fresh reply address on a few reused channels, not a channel per request', async () => {
    const server = await connect();
    const client = await connect();
    const seen: IncomingMessage[] = [];
    const q = await server.declareQueue(uniqueName('no-id-echo'), { exclusive: true });
    await server.consume(q, async (m) => {
      seen.push(m);
      await server.reply(m, `re:${m.body.toString()}`);
    });
    const ask = async (body: string): Promise<string> =>
      (await client.request('', q, body, { timeoutMs: 5_000, withoutCorrelationId: true })).body.toString();
    for (let i = 0; i < 20; i++) expect(await ask(`s${i}`)).toBe(`re:s${i}`);
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: 5 }, (_v, i) => `c${round}-${i}`);
      expect(await Promise.all(bodies.map(ask))).toEqual(bodies.map((b) => `re:${b}`));
    }
    expect(seen).toHaveLength(35);
    expect(seen.every((m) => m.properties.correlationId === undefined)).toBe(true);
    const addresses = seen.map((m) => m.properties.replyTo ?? '');
    expect(new Set(addresses).size).toBe(35);
    // A channel per request would be 35. Five at once need five; a channel is back in the cache once its consumer
    // is cancelled, so a request sent right after another's reply may open one more.
    expect(new Set(addresses.map(channelOf)).size).toBeLessThanOrEqual(7);
  });

  it('never settles a request with a late reply to an earlier request that used the same channel', async () => {
    const server = await connect();
    const client = await connect();
    const requests: IncomingMessage[] = [];
    const held: IncomingMessage[] = [];
    const q = await server.declareQueue(uniqueName('no-id-late'), { exclusive: true });
    await server.consume(q, async (m) => {
      requests.push(m);
      if (m.body.toString() === 'slow') {
        held.push(m); // answered later, after its request gave up
        return;
      }
      // The late reply to the earlier request reaches the broker first, then this one's own.
      for (const earlier of held.splice(0)) await server.reply(earlier, 'late reply to slow');
      await server.reply(m, `re:${m.body.toString()}`);
    });
    await expect(client.request('', q, 'slow', { timeoutMs: 300, withoutCorrelationId: true })).rejects.toBeInstanceOf(TimeoutError);
    // The timed-out request's consumer is cancelled and its channel cached again shortly after.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const reply = await client.request('', q, 'next', { timeoutMs: 5_000, withoutCorrelationId: true });
    expect(reply.body.toString()).toBe('re:next');
    expect(held).toHaveLength(0);
    const [slow, next] = requests;
    // The same channel, another address: the late reply went to an address nobody consumes any more.
    expect(channelOf(next?.properties.replyTo)).toBe(channelOf(slow?.properties.replyTo));
    expect(next?.properties.replyTo).not.toBe(slow?.properties.replyTo);
  });
});
