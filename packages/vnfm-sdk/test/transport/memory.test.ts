import { TimeoutError, TransportError } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker, createMemoryTransport, topicMatches, type MemoryTransport } from '../../src/transport/memory.js';

const open: MemoryTransport[] = [];
function transport(broker: MemoryBroker): MemoryTransport {
  const t = createMemoryTransport(broker);
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('topicMatches', () => {
  it('follows AMQP topic rules', () => {
    expect(topicMatches('vnfm.*.actions', 'vnfm.host-1.actions')).toBe(true);
    expect(topicMatches('vnfm.*.actions', 'vnfm.a.b.actions')).toBe(false);
    expect(topicMatches('vnfm.#', 'vnfm.a.b.actions')).toBe(true);
    expect(topicMatches('#', '')).toBe(true);
    expect(topicMatches('generic', 'generic')).toBe(true);
    expect(topicMatches('generic', 'generic2')).toBe(false);
  });
});

describe('memory transport', () => {
  it('routes through a topic exchange and the default exchange, and answers RPCs with the correlation id', async () => {
    const broker = new MemoryBroker();
    const client = transport(broker);
    const server = transport(broker);
    await server.declareExchange('openbaton-exchange', 'topic');
    const q = await server.declareQueue('svc', { autoDelete: true });
    await server.bindQueue(q, 'openbaton-exchange', 'svc');
    const seen: string[] = [];
    await server.consume(q, async (m) => {
      seen.push(m.properties.correlationId ?? '');
      await server.reply(m, `pong:${m.body.toString()}`);
    });
    const viaExchange = await client.request('openbaton-exchange', 'svc', 'a', { timeoutMs: 1000, correlationId: 'c-1' });
    const viaDefault = await client.request('', 'svc', 'b', { timeoutMs: 1000 });
    expect(viaExchange.body.toString()).toBe('pong:a');
    expect(viaExchange.properties.correlationId).toBe('c-1');
    expect(viaDefault.body.toString()).toBe('pong:b');
    expect(seen[0]).toBe('c-1');
  });

  it('times out a request nobody answers, naming what it waited for', async () => {
    const t = transport(new MemoryBroker());
    await expect(t.request('', 'nobody', 'x', { timeoutMs: 30, waitedFor: 'GRANT_OPERATION for vnfr x' })).rejects.toSatisfy(
      (e: unknown) => e instanceof TimeoutError && e.message.includes('GRANT_OPERATION for vnfr x'),
    );
  });

  it('respects prefetch: at most N handlers at once', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('work');
    let running = 0;
    let peak = 0;
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      void t.consume(q, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running -= 1;
        if (++done === 10) resolve();
      }, { prefetch: 3 });
    });
    for (let i = 0; i < 10; i++) await t.publish('', q, String(i));
    await finished;
    expect(peak).toBe(3);
  });

  it('redelivers unacked messages with redelivered=true after a dropped connection and fails pending RPCs', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('drop');
    const deliveries: boolean[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    await t.consume(q, async (m) => {
      deliveries.push(m.redelivered);
      if (deliveries.length === 1) await blocked;
    });
    const events: string[] = [];
    t.on('disconnected', () => events.push('disconnected')).on('reconnected', () => events.push('reconnected'));
    const pending = t.request('', 'nobody', 'x', { timeoutMs: 5000, waitedFor: 'nothing' });
    await t.publish('', q, 'm');
    await new Promise((r) => setImmediate(r));
    broker.dropConnections();
    await expect(pending).rejects.toBeInstanceOf(TransportError);
    await new Promise((r) => setImmediate(r));
    release();
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['disconnected', 'reconnected']);
    expect(deliveries).toEqual([false, true]);
  });

  it('deletes auto-delete queues with their last consumer, and cancel waits for handlers in flight', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('auto', { autoDelete: true });
    let finished = false;
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const consumer = await t.consume(q, async () => {
      started();
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    });
    await t.publish('', q, 'x');
    await isStarted;
    await consumer.cancel();
    expect(finished).toBe(true);
    expect(broker.hasQueue('auto')).toBe(false);
  });

  it('refuses to work after close', async () => {
    const t = createMemoryTransport();
    await t.close();
    await t.close();
    await expect(t.publish('', 'q', 'x')).rejects.toBeInstanceOf(TransportError);
  });
});
