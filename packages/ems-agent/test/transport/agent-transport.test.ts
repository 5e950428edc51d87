import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { IncomingMessage } from '@vnfkit/transport';
import { agentTransport } from '../helpers/transport-queue.js';
import { channelsOfConnectionNamed, closeConnectionNamed, deleteQueueAfterTest, SKIP_BROKER_TESTS } from '../helpers/broker.js';
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

// The backoff formula is @vnfkit/transport's (test/amqp-options.test.ts there).
describe.skipIf(SKIP_BROKER_TESTS)('agent transport (real RabbitMQ)', () => {
  it('declares, consumes, publishes with confirms, acks; reconnects and re-consumes after the connection is closed', async () => {
    const name = uniqueName('vnfkit-link', 'roundtrip');
    const { logger, lines } = collectingLogger();
    const link = await agentTransport(name, { reconnectMinDelayMs: 50, reconnectMaxDelayMs: 500, logger });
    onTestFinished(() => link.close());
    const events: string[] = [];
    link.on('connected', () => events.push('connected'));
    link.on('reconnected', () => events.push('reconnected'));
    link.on('disconnected', () => events.push('disconnected'));
    const queue = `${name}.q`;
    await link.declareQueue(queue, { autoDelete: true, expiresMs: 60_000 });
    const received: IncomingMessage[] = [];
    await link.consume(
      queue,
      async (message) => {
        received.push(message);
      },
      { prefetch: 1 },
    );
    await expect(link.publish('', queue, 'early')).rejects.toThrow(/not connected/);
    link.start();
    await waitFor(() => link.state === 'open', { what: 'the link to connect' });
    const correlationId = randomUUID();
    await link.publish('', queue, 'hello', { contentType: 'text/plain', correlationId, replyTo: 'r', headers: { 'x-test': 'v' } });
    await waitFor(() => received.length === 1, { what: 'the first delivery' });
    expect(received[0]).toMatchObject({
      routingKey: queue,
      redelivered: false,
      properties: { contentType: 'text/plain', correlationId, replyTo: 'r', headers: { 'x-test': 'v' } },
    });
    expect(received[0]?.body.toString()).toBe('hello');
    // One channel for publishing, declaring and consuming (AGENT_TRANSPORT_MODE.oneChannel).
    expect(await channelsOfConnectionNamed(name)).toEqual([1]);

    expect(await closeConnectionNamed(name)).toBe(1);
    await waitFor(() => events.includes('reconnected'), { timeoutMs: 15_000, what: 'the reconnect' });
    // `connected` fires on every connection (the agent's hello listens to it), `reconnected` after it on the second.
    expect(events).toEqual(['connected', 'disconnected', 'connected', 'reconnected']);
    await link.publish('', queue, 'after');
    await waitFor(() => received.length === 2, { what: 'a delivery after the reconnect' });
    expect(lines.some((l) => l.msg === 'connection to the broker lost; reconnecting')).toBe(true);
    await link.close();
    await link.close();
    expect(link.state).toBe('closed');
  });

  it('keeps retrying an unreachable broker quietly (one warn per streak) until closed', async () => {
    const { logger, lines } = collectingLogger();
    const port = await freePort();
    const link = await agentTransport(
      'vnfkit-link-unreachable',
      { reconnectMinDelayMs: 10, reconnectMaxDelayMs: 20, logger },
      `amqp://guest:guest@127.0.0.1:${port}`,
    );
    link.start();
    await waitFor(() => lines.filter((l) => l.msg === 'broker still unreachable; retrying').length >= 3, { what: 'several retries' });
    expect(lines.filter((l) => l.msg === 'cannot reach the broker; retrying')).toHaveLength(1);
    await link.close();
    expect(link.state).toBe('closed');
  });

  it('redelivers an unacked message to the next connection with redelivered = true', async () => {
    const name = uniqueName('vnfkit-link', 'redeliver');
    const queue = `${name}.q`;
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await agentTransport(name, { reconnectMinDelayMs: 50, reconnectMaxDelayMs: 200 });
    deleteQueueAfterTest(queue);
    onTestFinished(async () => {
      release(); // close() waits for handlers in flight
      await first.close();
    });
    await first.declareQueue(queue, { autoDelete: false, expiresMs: 60_000 });
    const seen: IncomingMessage[] = [];
    await first.consume(queue, async (message) => {
      seen.push(message);
      await blocked; // never settles before the connection is gone
    });
    first.start();
    await waitFor(() => first.state === 'open', { what: 'the link to connect' });
    await first.publish('', queue, 'work');
    await waitFor(() => seen.length === 1, { what: 'the first delivery' });
    let reconnected = false;
    first.on('reconnected', () => (reconnected = true));
    expect(await closeConnectionNamed(name)).toBe(1);
    await waitFor(() => reconnected, { timeoutMs: 15_000, what: 'the reconnect' });
    // Commands run one at a time: the redelivery waits until the handler still running from the old
    // connection has finished (it then finds that run's record), instead of running beside it.
    expect(seen).toHaveLength(1);
    release();
    await waitFor(() => seen.length === 2, { timeoutMs: 15_000, what: 'the redelivery after reconnect' });
    expect(seen[1]?.redelivered).toBe(true);
  });
});

describe('createAgentTransport', () => {
  it('a tls_ca_file it cannot read is a config error at start, naming the key and the file', async () => {
    const { createAgentTransport } = await import('../../src/transport/agent-transport.js');
    const { resolveConfig } = await import('../../src/config.js');
    const config = resolveConfig({ hostname: 'web-1', amqp_url: 'amqps://u:p@broker:5671', tls_ca_file: '/nonexistent/ca.pem' });
    await expect(createAgentTransport(config, pino({ enabled: false }))).rejects.toMatchObject({
      message: expect.stringMatching(/tls_ca_file: cannot read the broker CA file \/nonexistent\/ca\.pem/),
    });
  });
});
