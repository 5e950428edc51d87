import { TimeoutError, TransportError } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createAmqpTransport, type AmqpTransport } from '../../src/transport/amqp.js';
import { AMQP_URL, closeConnectionsNamed, uniqueName, waitFor } from '../helpers/broker.js';

const open: AmqpTransport[] = [];
async function connect(name: string): Promise<AmqpTransport> {
  const t = await createAmqpTransport({ url: AMQP_URL, connectionName: name, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, connectTimeoutMs: 5_000 });
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('amqp transport (real RabbitMQ)', () => {
  it('does an RPC round trip through openbaton-exchange with the correlation id copied', async () => {
    const name = uniqueName('rpc');
    const server = await connect(name);
    const client = await connect(name);
    await server.declareExchange('openbaton-exchange', 'topic');
    const q = await server.declareQueue(name, { autoDelete: true, expiresMs: 60_000 });
    await server.bindQueue(q, 'openbaton-exchange', q);
    await server.consume(q, async (m) => {
      expect(m.properties.contentType).toBe('text/plain');
      await server.reply(m, `pong:${m.body.toString()}`);
    });
    const started = performance.now();
    const reply = await client.request('openbaton-exchange', q, 'ping', { timeoutMs: 5_000, correlationId: 'corr-1' });
    const ms = performance.now() - started;
    expect(reply.body.toString()).toBe('pong:ping');
    expect(reply.properties.correlationId).toBe('corr-1');
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await client.request('', q, 'x', { timeoutMs: 5_000 });
      total += performance.now() - t0;
    }
    console.log(`amqp RPC round trip: first ${ms.toFixed(2)} ms, mean of 20 ${(total / 20).toFixed(2)} ms (noDelay)`);
    expect(total / 20).toBeLessThan(20); // Nagle would make this ~44 ms
  });

  it('times out a request that nobody answers, naming what it waited for', async () => {
    const t = await connect(uniqueName('timeout'));
    await expect(t.request('', uniqueName('nobody'), 'x', { timeoutMs: 100, waitedFor: 'GRANT_OPERATION for iperf' })).rejects.toSatisfy(
      (e: unknown) => e instanceof TimeoutError && e.message.includes('GRANT_OPERATION for iperf'),
    );
  });

  it('limits handlers to the prefetch and nacks on a throw without losing the consumer', async () => {
    const name = uniqueName('prefetch');
    const t = await connect(name);
    const q = await t.declareQueue(name, { autoDelete: true, expiresMs: 60_000 });
    let running = 0;
    let peak = 0;
    let handled = 0;
    await t.consume(q, async (m) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      handled += 1;
      if (m.body.toString() === 'bad') throw new Error('handler failure');
    }, { prefetch: 2 });
    for (const body of ['a', 'bad', 'b', 'c', 'd']) await t.publish('', q, body);
    await waitFor(() => handled === 5, { what: 'five deliveries', timeoutMs: 5_000 });
    expect(peak).toBe(2);
  });

  it('reconnects after the broker drops the connection, restores topology and consumers, fails in-flight RPCs', async () => {
    const name = uniqueName('drop');
    const t = await connect(name);
    const events: string[] = [];
    t.on('disconnected', () => events.push('disconnected')).on('reconnected', () => events.push('reconnected'));
    await t.declareExchange('openbaton-exchange', 'topic');
    const q = await t.declareQueue(name, { durable: false, autoDelete: false, expiresMs: 60_000 });
    await t.bindQueue(q, 'openbaton-exchange', q);
    const got: string[] = [];
    await t.consume(q, async (m) => {
      got.push(m.body.toString());
    });
    const inFlight = t.request('', uniqueName('silent'), 'x', { timeoutMs: 10_000, waitedFor: 'a silent peer' });
    const idempotent = t.request('', q, 'retry-me', { timeoutMs: 10_000, idempotent: true, waitedFor: 'idempotent' }).catch((e: unknown) => e);
    await waitFor(() => got.includes('retry-me'), { what: 'first delivery of the idempotent request' });

    expect(closeConnectionsNamed(name)).toBeGreaterThan(0);
    await expect(inFlight).rejects.toSatisfy((e: unknown) => e instanceof TransportError && e.message.includes('connection lost while waiting for a silent peer'));
    await waitFor(() => events.includes('reconnected'), { what: 'reconnected event', timeoutMs: 10_000 });
    await waitFor(() => got.filter((b) => b === 'retry-me').length === 2, { what: 'idempotent request re-sent after reconnect' });
    expect(events.slice(0, 2)).toEqual(['disconnected', 'reconnected']);

    await t.publish('openbaton-exchange', q, 'after-drop');
    await waitFor(() => got.includes('after-drop'), { what: 'delivery through the restored binding and consumer' });
    void idempotent;
  });

  it('closes gracefully: a handler in flight finishes first; close is idempotent', async () => {
    const name = uniqueName('close');
    const t = await connect(name);
    const q = await t.declareQueue(name, { autoDelete: true, expiresMs: 60_000 });
    let finished = false;
    let started = false;
    await t.consume(q, async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
    });
    await t.publish('', q, 'work');
    await waitFor(() => started, { what: 'handler start' });
    await t.close();
    await t.close();
    expect(finished).toBe(true);
    await expect(t.publish('', q, 'late')).rejects.toBeInstanceOf(TransportError);
  });

  it('fails the first connect with a clear error that hides the password', async () => {
    await expect(createAmqpTransport({ url: 'amqp://guest:s3cret@127.0.0.1:1', connectTimeoutMs: 300, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } })).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && e.message.includes('cannot connect') && !e.message.includes('s3cret'),
    );
  });
});
