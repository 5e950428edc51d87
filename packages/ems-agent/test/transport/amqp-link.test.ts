import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { backoffDelay, createAmqpLink } from '../../src/transport/amqp-link.js';
import type { LinkIncomingMessage } from '../../src/link.js';
import { AMQP_URL, closeConnectionNamed, deleteQueueAfterTest, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { freePort } from '../helpers/git-daemon.js';
import { uniqueName } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait-for.js';

function collectingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within the upper half', () => {
    const low = { minMs: 500, maxMs: 30_000, random: () => 0 };
    const high = { minMs: 500, maxMs: 30_000, random: () => 1 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, high))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(1, low)).toBe(250);
    expect(backoffDelay(50, high)).toBe(30_000);
    expect(backoffDelay(50, low)).toBe(15_000);
  });
});

describe.skipIf(SKIP_BROKER_TESTS)('amqp link (real RabbitMQ)', () => {
  it('declares, consumes, publishes with confirms, acks; reconnects and re-consumes after the connection is closed', async () => {
    const name = uniqueName('vnfkit-link', 'roundtrip');
    const { logger, lines } = collectingLogger();
    const link = createAmqpLink({ url: AMQP_URL, connectionName: name, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 500, logger });
    onTestFinished(() => link.close());
    const events: string[] = [];
    link.on('connected', () => events.push('connected'));
    link.on('reconnected', () => events.push('reconnected'));
    link.on('disconnected', () => events.push('disconnected'));
    const queue = `${name}.q`;
    await link.declareQueue(queue, { autoDelete: true, expiresMs: 60_000 });
    const received: LinkIncomingMessage[] = [];
    await link.consume(queue, async (message) => {
      received.push(message);
    }, { prefetch: 1 });
    await expect(link.publish('', queue, 'early')).rejects.toThrow(/not connected/);
    link.connect();
    await waitFor(() => link.connected, { what: 'the link to connect' });
    const correlationId = randomUUID();
    await link.publish('', queue, 'hello', { contentType: 'text/plain', correlationId, replyTo: 'r', headers: { 'x-test': 'v' } });
    await waitFor(() => received.length === 1, { what: 'the first delivery' });
    expect(received[0]).toMatchObject({ routingKey: queue, redelivered: false, properties: { contentType: 'text/plain', correlationId, replyTo: 'r', headers: { 'x-test': 'v' } } });
    expect(received[0]?.body.toString()).toBe('hello');

    expect(await closeConnectionNamed(name)).toBe(1);
    await waitFor(() => events.includes('reconnected'), { timeoutMs: 15_000, what: 'the reconnect' });
    expect(events).toEqual(['connected', 'disconnected', 'reconnected']);
    await link.publish('', queue, 'after');
    await waitFor(() => received.length === 2, { what: 'a delivery after the reconnect' });
    expect(lines.some((l) => l.msg === 'lost the broker connection; reconnecting')).toBe(true);
    await link.close();
    await link.close();
    expect(link.connected).toBe(false);
  });

  it('keeps retrying an unreachable broker quietly (one warn per streak) until closed', async () => {
    const { logger, lines } = collectingLogger();
    const port = await freePort();
    const link = createAmqpLink({ url: `amqp://guest:guest@127.0.0.1:${port}`, reconnectMinDelayMs: 10, reconnectMaxDelayMs: 20, logger });
    link.connect();
    await waitFor(() => lines.filter((l) => l.msg === 'still cannot connect to the broker; retrying').length >= 3, { what: 'several retries' });
    expect(lines.filter((l) => l.msg === 'cannot connect to the broker; retrying')).toHaveLength(1);
    await link.close();
    expect(link.connected).toBe(false);
  });

  it('redelivers an unacked message to the next connection with redelivered = true', async () => {
    const name = uniqueName('vnfkit-link', 'redeliver');
    const queue = `${name}.q`;
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => { release = resolve; });
    const first = createAmqpLink({ url: AMQP_URL, connectionName: name, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 200 });
    deleteQueueAfterTest(queue);
    onTestFinished(async () => {
      release(); // close() waits for handlers in flight
      await first.close();
    });
    await first.declareQueue(queue, { autoDelete: false, expiresMs: 60_000 });
    const seen: LinkIncomingMessage[] = [];
    await first.consume(queue, async (message) => {
      seen.push(message);
      await blocked; // never settles before the connection is gone
    });
    first.connect();
    await waitFor(() => first.connected, { what: 'the link to connect' });
    await first.publish('', queue, 'work');
    await waitFor(() => seen.length === 1, { what: 'the first delivery' });
    expect(await closeConnectionNamed(name)).toBe(1);
    await waitFor(() => seen.length === 2, { timeoutMs: 15_000, what: 'the redelivery after reconnect' });
    expect(seen[1]?.redelivered).toBe(true);
    release();
  });
});
