// Unit tests of the in-process broker and transport: AMQP routing, RPC, prefetch/concurrency, ack/nack,
// queue life-cycles, channel errors, and the fault injection other suites rely on.
import { ConfigError, TimeoutError, TransportError } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryBroker, createMemoryTransport, topicMatches, type MemoryTransport, type MemoryTransportOptions } from '../src/index.js';
import type { IncomingMessage } from '../src/index.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { deferred, nextEvent, waitFor, withTimeout } from '../../vnfm-sdk/test/helpers/wait.js';

function transport(broker: MemoryBroker, options?: MemoryTransportOptions): MemoryTransport {
  return teardown.track(createMemoryTransport(broker, options), 'memory transport');
}

function collector(): { bodies: string[]; messages: IncomingMessage[]; handler: (m: IncomingMessage) => Promise<void> } {
  const bodies: string[] = [];
  const messages: IncomingMessage[] = [];
  return {
    bodies,
    messages,
    handler: async (m) => {
      messages.push(m);
      bodies.push(m.body.toString());
    },
  };
}

describe('topicMatches', () => {
  it('follows the AMQP topic rules for * and #', () => {
    expect(topicMatches('vnfm.*.actions', 'vnfm.host-1.actions')).toBe(true);
    expect(topicMatches('vnfm.*.actions', 'vnfm.a.b.actions')).toBe(false);
    expect(topicMatches('vnfm.*.actions', 'vnfm.actions')).toBe(false);
    expect(topicMatches('vnfm.#', 'vnfm.a.b.actions')).toBe(true);
    expect(topicMatches('vnfm.#', 'vnfm')).toBe(true);
    expect(topicMatches('#.actions', 'vnfm.x.actions')).toBe(true);
    expect(topicMatches('a.#.z', 'a.z')).toBe(true);
    expect(topicMatches('a.#.z', 'a.b.c.z')).toBe(true);
    expect(topicMatches('a.#.z', 'a.b.c')).toBe(false);
    expect(topicMatches('#', '')).toBe(true);
    expect(topicMatches('*', '')).toBe(true); // '' is one empty word
    expect(topicMatches('generic', 'generic')).toBe(true);
    expect(topicMatches('generic', 'generic2')).toBe(false);
  });
});

describe('memory broker routing', () => {
  it('routes by queue name on the default exchange and through topic, direct and fanout bindings', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    await t.declareExchange('topics', 'topic');
    await t.declareExchange('direct-x', 'direct');
    await t.declareExchange('fan', 'fanout');
    const byName = await t.declareQueue('by-name');
    const star = await t.declareQueue('star');
    const hash = await t.declareQueue('hash');
    await t.bindQueue(star, 'topics', 'vnfm.*.actions');
    await t.bindQueue(hash, 'topics', 'vnfm.#');
    await t.bindQueue(byName, 'direct-x', 'exact');
    await t.bindQueue(star, 'fan', 'ignored');
    await t.bindQueue(hash, 'fan', 'ignored');
    const got = { byName: collector(), star: collector(), hash: collector() };
    await t.consume(byName, got.byName.handler);
    await t.consume(star, got.star.handler, { prefetch: 10 });
    await t.consume(hash, got.hash.handler, { prefetch: 10 });

    await t.publish('', 'by-name', 'default');
    await t.publish('topics', 'vnfm.h1.actions', 'one-word');
    await t.publish('topics', 'vnfm.a.b', 'many-words');
    await t.publish('topics', 'other.key', 'unroutable'); // dropped, like RabbitMQ without mandatory
    await t.publish('direct-x', 'exact', 'direct');
    await t.publish('direct-x', 'exact.not', 'direct-miss');
    await t.publish('fan', 'anything', 'fanout');
    await waitFor(() => got.star.bodies.length === 2 && got.hash.bodies.length === 3 && got.byName.bodies.length === 2, {
      what: 'all routed deliveries',
    });
    expect(got.byName.bodies).toEqual(['default', 'direct']);
    expect(got.star.bodies).toEqual(['one-word', 'fanout']);
    expect(got.hash.bodies).toEqual(['one-word', 'many-words', 'fanout']);
    expect(got.star.messages[0]).toMatchObject({ exchange: 'topics', routingKey: 'vnfm.h1.actions', redelivered: false });
    expect(got.byName.messages[0]?.properties.contentType).toBe('text/plain');
  });

  it('turns channel errors into TransportErrors and stays usable afterwards', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    await expect(t.publish('missing-exchange', 'k', 'x')).rejects.toThrow(/NOT_FOUND - no exchange 'missing-exchange'/);
    await t.declareQueue('flags', { durable: false });
    await expect(t.declareQueue('flags', { durable: true })).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /PRECONDITION_FAILED - inequivalent arg 'durable'/.test(e.message),
    );
    await t.declareExchange('ex', 'topic');
    await expect(t.declareExchange('ex', 'direct')).rejects.toThrow(/PRECONDITION_FAILED/);
    await expect(t.bindQueue('flags', 'nope', 'k')).rejects.toThrow(/NOT_FOUND - no exchange 'nope'/);
    await expect(t.bindQueue('nope', 'ex', 'k')).rejects.toThrow(/NOT_FOUND - no queue 'nope'/);
    await expect(t.consume('nope', async () => undefined)).rejects.toThrow(/NOT_FOUND - no queue 'nope'/);
    await expect(t.declareQueue('amq.mine')).rejects.toThrow(/ACCESS_REFUSED/);
    await expect(t.request('missing-exchange', 'k', 'x', { timeoutMs: 1_000 })).rejects.toThrow(/NOT_FOUND/);
    // Still working: declare, publish, consume.
    const got = collector();
    await t.consume('flags', got.handler);
    await t.publish('', 'flags', 'after errors');
    await waitFor(() => got.bodies.includes('after errors'), { what: 'a delivery after the channel errors' });
  });

  it('deletes queues: missing ones are fine, consumers are cancelled by the broker', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    await t.deleteQueue('never-existed');
    const q = await t.declareQueue('doomed');
    await t.consume(q, async () => undefined);
    await t.deleteQueue(q);
    expect(broker.hasQueue('doomed')).toBe(false);
    await t.publish('', 'doomed', 'dropped');
    expect(broker.queueNames()).not.toContain('doomed');
  });

  it('drops messages whose per-message TTL passed before delivery', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('ttl');
    await t.publish('', q, 'expired', { expiration: 0 }); // TTL 0: expires unless a consumer takes it at once
    await t.publish('', q, 'long', { expiration: 60_000 });
    const got = collector();
    await t.consume(q, got.handler);
    await waitFor(() => got.bodies.includes('long'), { what: 'the long-lived message' });
    expect(got.bodies).toEqual(['long']);
  });

  it('injects raw bodies into a queue for fault tests, and refuses a missing queue', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('raw');
    const got = collector();
    await t.consume(q, got.handler);
    broker.inject(q, Buffer.from([0xff, 0x00, 0x7b]), { headers: { 'x-forged': '1' } });
    await waitFor(() => got.messages.length === 1, { what: 'the injected body' });
    expect([...(got.messages[0]?.body ?? [])]).toEqual([0xff, 0x00, 0x7b]);
    expect(got.messages[0]?.properties.headers).toEqual({ 'x-forged': '1' });
    expect(() => broker.inject('missing', 'x')).toThrow(TransportError);
  });
});

describe('memory transport RPC', () => {
  it.each(['direct', 'queue'] as const)('answers requests with the correlation id copied (%s reply mode)', async (replyMode) => {
    const broker = new MemoryBroker();
    const client = transport(broker, { replyMode });
    const server = transport(broker);
    await server.declareExchange('openbaton-exchange', 'topic');
    const q = await server.declareQueue('svc', { autoDelete: true });
    await server.bindQueue(q, 'openbaton-exchange', 'svc');
    const replyTos: string[] = [];
    await server.consume(q, async (m) => {
      replyTos.push(m.properties.replyTo ?? '');
      await server.reply(m, `pong:${m.body.toString()}`);
    });
    const viaExchange = await client.request('openbaton-exchange', 'svc', 'a', { timeoutMs: 1_000, correlationId: 'c-1' });
    const viaDefault = await client.request('', 'svc', 'b', { timeoutMs: 1_000 });
    expect(viaExchange.body.toString()).toBe('pong:a');
    expect(viaExchange.properties.correlationId).toBe('c-1');
    expect(viaDefault.body.toString()).toBe('pong:b');
    expect(replyTos[0]).toMatch(replyMode === 'direct' ? /^amq\.rabbitmq\.reply-to\./ : /^amq\.gen-/);
  });

  it('times out naming what it waited for, and supports AbortSignal', async () => {
    const t = transport(new MemoryBroker());
    await expect(t.request('', 'nobody', 'x', { timeoutMs: 30, waitedFor: 'GRANT_OPERATION for vnfr x' })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof TimeoutError &&
        e.waitedFor === 'GRANT_OPERATION for vnfr x' &&
        e.timeoutMs === 30 &&
        e.message.includes('GRANT_OPERATION for vnfr x'),
    );
    const controller = new AbortController();
    const aborted = t.request('', 'nobody', 'x', { timeoutMs: 5_000, waitedFor: 'an aborted thing', signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(aborted).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && e.message.includes('aborted while waiting for an aborted thing'),
    );
    await expect(t.request('', 'nobody', 'x', { timeoutMs: 5_000, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TransportError);
    await expect(t.request('', 'nobody', 'x', { timeoutMs: 0 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('sends a waiting request again on resendRequest (same correlation id and body); the first reply settles it, the second is dropped', async () => {
    const broker = new MemoryBroker();
    const client = transport(broker);
    const server = transport(broker);
    const q = await server.declareQueue('repeat');
    const seen: IncomingMessage[] = [];
    const answer = deferred();
    await server.consume(
      q,
      async (m) => {
        seen.push(m);
        await answer.promise;
        await server.reply(m, `re:${m.body.toString()}`);
      },
      { prefetch: 2, concurrency: 2 },
    );
    const reply = client.request('', q, 'once', { timeoutMs: 2_000, correlationId: 'c-repeat', headers: { 'x-kept': '1' } });
    await waitFor(() => seen.length === 1, { what: 'the request' });
    expect(client.resendRequest('c-repeat')).toBe(true);
    await waitFor(() => seen.length === 2, { what: 'the repeat' });
    expect(seen.map((m) => [m.body.toString(), m.properties.correlationId, m.properties.headers])).toEqual([
      ['once', 'c-repeat', { 'x-kept': '1' }],
      ['once', 'c-repeat', { 'x-kept': '1' }],
    ]);
    answer.resolve();
    expect((await reply).body.toString()).toBe('re:once');
    expect(client.resendRequest('c-repeat')).toBe(false);
    expect(client.resendRequest('unknown')).toBe(false);
  });

  it('drops late replies (after the timeout) without disturbing later requests', async () => {
    const broker = new MemoryBroker();
    const client = transport(broker);
    const server = transport(broker);
    const q = await server.declareQueue('slow');
    const release = deferred();
    await server.consume(
      q,
      async (m) => {
        if (m.body.toString() === 'slow') await release.promise;
        await server.reply(m, `re:${m.body.toString()}`);
      },
      { prefetch: 2 },
    );
    await expect(client.request('', q, 'slow', { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    release.resolve();
    expect((await client.request('', q, 'fast', { timeoutMs: 1_000 })).body.toString()).toBe('re:fast');
  });
});

describe('memory transport consumers', () => {
  it('keeps at most `concurrency` handlers running and at most `prefetch` deliveries unacked', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('work');
    let running = 0;
    let peak = 0;
    let done = 0;
    const gates = Array.from({ length: 10 }, () => deferred());
    await t.consume(
      q,
      async (m) => {
        running += 1;
        peak = Math.max(peak, running);
        await gates[Number(m.body.toString())]?.promise;
        running -= 1;
        done += 1;
      },
      { prefetch: 4, concurrency: 2 },
    );
    for (let i = 0; i < 10; i++) await t.publish('', q, String(i));
    await waitFor(() => broker.unackedCount(q) === 4, { what: 'prefetch filled' });
    expect(broker.depth(q)).toBe(6);
    expect(running).toBe(2);
    gates[0]?.resolve(); // one slot frees: the broker refills the prefetch window to 4 again, no more
    await waitFor(() => done === 1 && broker.depth(q) === 5, { what: 'one more delivery after an ack' });
    expect(broker.unackedCount(q)).toBe(4);
    for (const g of gates) g.resolve();
    await waitFor(() => done === 10, { what: 'all ten handled' });
    expect(peak).toBe(2);
    expect(broker.unackedCount(q)).toBe(0);
  });

  it('dispatches round-robin between consumers, each limited by its own prefetch', async () => {
    const broker = new MemoryBroker();
    const a = transport(broker);
    const b = transport(broker);
    const q = await a.declareQueue('shared');
    const blockA = deferred();
    const gotA = collector();
    const gotB = collector();
    await a.consume(
      q,
      async (m) => {
        await gotA.handler(m);
        await blockA.promise;
      },
      { prefetch: 1 },
    );
    await b.consume(q, gotB.handler, { prefetch: 5 });
    for (let i = 0; i < 6; i++) await a.publish('', q, String(i));
    await waitFor(() => gotB.bodies.length === 5, { what: 'consumer B to take what A cannot' });
    expect(gotA.bodies).toEqual(['0']);
    blockA.resolve();
  });

  it('acks when the handler resolves and drops (nack without requeue) when it throws', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('nack');
    const seen: string[] = [];
    await t.consume(q, async (m) => {
      seen.push(m.body.toString());
      if (m.body.toString() === 'bad') throw new Error('handler failure');
    });
    for (const body of ['bad', 'good-1', 'good-2']) await t.publish('', q, body);
    await waitFor(() => seen.length === 3, { what: 'three deliveries' });
    expect(seen).toEqual(['bad', 'good-1', 'good-2']); // 'bad' was not requeued
    expect(broker.depth(q) + broker.unackedCount(q)).toBe(0);
  });

  it('cancel: returns prefetched deliveries with redelivered=true and waits for the handler in flight', async () => {
    const broker = new MemoryBroker();
    const first = transport(broker);
    const second = transport(broker);
    const q = await first.declareQueue('handover');
    const started = deferred();
    const release = deferred();
    let finished = false;
    const consumer = await first.consume(
      q,
      async () => {
        started.resolve();
        await release.promise;
        finished = true;
      },
      { prefetch: 3, concurrency: 1 },
    );
    for (const body of ['a', 'b', 'c']) await first.publish('', q, body);
    await withTimeout(started.promise, { what: 'first handler start' });
    await waitFor(() => broker.unackedCount(q) === 3, { what: 'three prefetched deliveries' });
    const cancelled = consumer.cancel();
    let cancelDone = false;
    void cancelled.then(() => (cancelDone = true));
    await waitFor(() => broker.depth(q) === 2, { what: 'the two waiting deliveries back in the queue' });
    expect(cancelDone).toBe(false);
    release.resolve();
    await withTimeout(cancelled, { what: 'cancel' });
    expect(finished).toBe(true);
    const got = collector();
    await second.consume(q, got.handler, { prefetch: 5 });
    await waitFor(() => got.messages.length === 2, { what: 'redelivery to the second consumer' });
    expect(got.messages.map((m) => [m.body.toString(), m.redelivered])).toEqual([
      ['b', true],
      ['c', true],
    ]);
  });

  it('refuses a second consumer on a queue consumed exclusively', async () => {
    const broker = new MemoryBroker();
    const a = transport(broker);
    const b = transport(broker);
    const q = await a.declareQueue('solo');
    await a.consume(q, async () => undefined, { exclusive: true });
    await expect(b.consume(q, async () => undefined)).rejects.toThrow(/ACCESS_REFUSED/);
  });
});

describe('memory queue life-cycles', () => {
  it('deletes an exclusive queue with its connection and locks it against other connections', async () => {
    const broker = new MemoryBroker();
    const owner = createMemoryTransport(broker);
    const other = transport(broker);
    const q = await owner.declareQueue('mine', { exclusive: true });
    await expect(other.declareQueue('mine', { exclusive: true })).rejects.toThrow(/RESOURCE_LOCKED/);
    await expect(other.consume('mine', async () => undefined)).rejects.toThrow(/RESOURCE_LOCKED/);
    await owner.close();
    expect(broker.hasQueue(q)).toBe(false);
  });

  it('deletes an auto-delete queue when its last consumer goes, not before it ever had one', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('auto', { autoDelete: true });
    await t.publish('', q, 'waiting');
    expect(broker.hasQueue(q)).toBe(true);
    const c1 = await t.consume(q, async () => undefined);
    const c2 = await t.consume(q, async () => undefined);
    await c1.cancel();
    expect(broker.hasQueue(q)).toBe(true);
    await c2.cancel();
    expect(broker.hasQueue(q)).toBe(false);
  });

  it('expires an unused queue after x-expires', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('expiring', { expiresMs: 20 });
    await waitFor(() => !broker.hasQueue(q), { what: 'the unused queue to expire', timeoutMs: 2_000 });
  });
});

describe('memory fault injection: dropped connections', () => {
  it('emits disconnected then reconnected, redelivers unacked messages with redelivered=true', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    const q = await t.declareQueue('drop');
    const deliveries: [string, boolean][] = [];
    const release = deferred();
    await t.consume(q, async (m) => {
      deliveries.push([m.body.toString(), m.redelivered]);
      if (deliveries.length === 1) await release.promise;
    });
    const events: string[] = [];
    for (const e of ['disconnected', 'connected', 'reconnected'] as const) t.on(e, () => events.push(e));
    await t.publish('', q, 'm');
    await waitFor(() => deliveries.length === 1, { what: 'first delivery' });
    await broker.dropConnections();
    expect(broker.depth(q) + broker.unackedCount(q)).toBe(1);
    // The old handler still counts against the consumer's concurrency (1) until it returns; its ack is void.
    release.resolve();
    await waitFor(() => deliveries.length === 2, { what: 'redelivery after the drop' });
    await waitFor(() => broker.unackedCount(q) === 0, { what: 'the redelivery acked' });
    expect(events).toEqual(['disconnected', 'connected', 'reconnected']);
    expect(deliveries).toEqual([
      ['m', false],
      ['m', true],
    ]);
  });

  it('fails RPCs in flight with a clear error, re-sends idempotent ones, and makes publishes wait for the reconnect', async () => {
    const broker = new MemoryBroker();
    const client = transport(broker);
    const server = transport(broker);
    const q = await server.declareQueue('rpc-drop');
    const received: string[] = [];
    const answer = deferred();
    await server.consume(
      q,
      async (m) => {
        received.push(m.body.toString());
        if (m.body.toString() === 'idem' && received.filter((b) => b === 'idem').length === 1) return; // first copy: no answer
        if (m.body.toString() === 'silent') return;
        await answer.promise;
        await server.reply(m, 'ok');
      },
      { prefetch: 10 },
    );
    const inFlight = client.request('', q, 'silent', { timeoutMs: 5_000, waitedFor: 'a silent peer' });
    const idempotent = client.request('', q, 'idem', { timeoutMs: 5_000, waitedFor: 'idempotent', idempotent: true });
    await waitFor(() => received.includes('silent') && received.includes('idem'), { what: 'both requests delivered' });

    const dropped = broker.dropConnections({ only: [client], downMs: 50 });
    await expect(inFlight).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && e.message === 'connection lost while waiting for a silent peer',
    );
    expect(client.state).toBe('reconnecting');
    const published = client.publish('', q, 'while-down');
    answer.resolve();
    await dropped;
    await published;
    expect((await idempotent).body.toString()).toBe('ok');
    expect(received.filter((b) => b === 'idem')).toHaveLength(2);
    await waitFor(() => received.includes('while-down'), { what: 'the publish made while disconnected' });
  });

  it('fails a publish that waited longer than publishTimeoutMs for the reconnect', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker, { publishTimeoutMs: 20 });
    await t.declareQueue('late');
    const dropped = broker.dropConnections({ downMs: 200 });
    await expect(t.publish('', 'late', 'x')).rejects.toSatisfy(
      (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 20 && e.waitedFor.includes('publishing to (default exchange)'),
    );
    await dropped;
  });

  it('restores topology: server-named queues get a new name that bindings, consumers and publishes follow', async () => {
    const broker = new MemoryBroker();
    const t = transport(broker);
    await t.declareExchange('ex', 'topic');
    const named = await t.declareQueue('exclusive-named', { exclusive: true });
    const handle = await t.declareQueue('', { exclusive: true });
    await t.bindQueue(handle, 'ex', 'events.#');
    await t.bindQueue(named, 'ex', 'named');
    const got = collector();
    const consumer = await t.consume(handle, got.handler);
    const gotNamed = collector();
    await t.consume(named, gotNamed.handler);
    expect(consumer.queue).toBe(handle);

    await broker.dropConnections();
    expect(broker.hasQueue(handle)).toBe(false);
    expect(consumer.queue).not.toBe(handle);
    expect(consumer.queue).toMatch(/^amq\.gen-/);
    expect(broker.hasQueue(consumer.queue)).toBe(true);

    await t.publish('ex', 'events.a', 'via binding');
    await t.publish('', handle, 'via old name'); // default exchange: the handle resolves to the new name
    await t.publish('ex', 'named', 'named queue back');
    await waitFor(() => got.bodies.length === 2 && gotNamed.bodies.length === 1, { what: 'deliveries after the drop' });
    expect(got.bodies).toEqual(['via binding', 'via old name']);
  });

  it('resumes consumers with their prefetch and concurrency, and RPCs work again in both reply modes', async () => {
    const broker = new MemoryBroker();
    const direct = transport(broker);
    const queued = transport(broker, { replyMode: 'queue' });
    const server = transport(broker);
    const echo = await server.declareQueue('echo');
    await server.consume(echo, async (m) => server.reply(m, `re:${m.body.toString()}`), { prefetch: 10 });
    const work = await direct.declareQueue('work-after-drop');
    const release = deferred();
    let running = 0;
    let peak = 0;
    await direct.consume(
      work,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await release.promise;
        running -= 1;
      },
      { prefetch: 3, concurrency: 2 },
    );
    expect((await queued.request('', echo, 'before', { timeoutMs: 1_000 })).body.toString()).toBe('re:before');
    const replyQueues = broker.queueNames().filter((n) => n.startsWith('amq.gen-'));
    expect(replyQueues).toHaveLength(1);

    await broker.dropConnections();
    expect(broker.hasQueue(replyQueues[0] ?? '')).toBe(false); // exclusive: gone with the connection
    for (let i = 0; i < 6; i++) await server.publish('', work, String(i));
    await waitFor(() => broker.unackedCount(work) === 3 && running === 2, { what: 'prefetch 3 / concurrency 2 after the drop' });
    expect(broker.depth(work)).toBe(3);
    release.resolve();
    await waitFor(() => broker.depth(work) + broker.unackedCount(work) === 0, { what: 'all work done' });
    expect(peak).toBe(2);
    expect((await direct.request('', echo, 'd', { timeoutMs: 1_000 })).body.toString()).toBe('re:d');
    expect((await queued.request('', echo, 'q', { timeoutMs: 1_000 })).body.toString()).toBe('re:q');
  });

  it('several transports on one broker behave like processes: one dropping does not affect the other', async () => {
    const broker = new MemoryBroker();
    const a = transport(broker);
    const b = transport(broker);
    const events: string[] = [];
    b.on('disconnected', () => events.push('b:disconnected'));
    const reconnected = nextEvent(a, 'reconnected');
    await broker.dropConnections({ only: [a] });
    await reconnected;
    expect(events).toEqual([]);
    expect(broker.connectionCount).toBe(2);
  });
});

describe('memory transport close', () => {
  it('is graceful and idempotent: the handler in flight finishes, then operations are refused', async () => {
    const broker = new MemoryBroker();
    const t = createMemoryTransport(broker);
    const peer = transport(broker);
    const q = await t.declareQueue('closing', { autoDelete: true });
    const started = deferred();
    const release = deferred();
    let finished = false;
    await t.consume(q, async (m) => {
      started.resolve();
      await release.promise;
      await t.reply(m, 'replied while closing');
      finished = true;
    });
    const reply = peer.request('', q, 'work', { timeoutMs: 5_000 });
    await withTimeout(started.promise, { what: 'handler start' });
    const pendingRequest = t.request('', 'nobody', 'x', { timeoutMs: 5_000, waitedFor: 'nothing' }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const closed = t.close();
    expect(t.close()).toBe(closed);
    release.resolve();
    await closed;
    expect(finished).toBe(true);
    expect((await reply).body.toString()).toBe('replied while closing');
    expect(await pendingRequest).toEqual(new TransportError('transport closed while waiting for nothing'));
    await expect(t.publish('', q, 'late')).rejects.toBeInstanceOf(TransportError);
    await expect(t.declareQueue('x')).rejects.toBeInstanceOf(TransportError);
    expect(t.state).toBe('closed');
    expect(broker.connectionCount).toBe(1);
  });
});
