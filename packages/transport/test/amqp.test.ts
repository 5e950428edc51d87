// Integration tests of the amqp transport against the real RabbitMQ at AMQP_URL. They fail (not skip)
// when no broker answers. Forced drops close only this file's connections, found by connection name.
import { TimeoutError, TransportError } from '@vnfkit/protocol';
import { expect, it } from 'vitest';
import { createAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from '../src/index.js';
import type { IncomingMessage } from '../src/index.js';
import {
  AMQP_URL,
  closeConnectionsNamed,
  connectionPidsNamed,
  connectionsNamed,
  describeBroker,
} from '../../vnfm-sdk/test/helpers/broker.js';
import { LEVEL, captureLogger } from '../../vnfm-sdk/test/helpers/log-capture.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { deferred, nextEvent, waitFor, withTimeout } from '../../vnfm-sdk/test/helpers/wait.js';

async function connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  const connectionName = options.connectionName ?? uniqueName('conn');
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

/** A queue on `server` that answers every request with `<prefix><body>`. */
async function echoService(server: AmqpTransport, prefix = 'pong:'): Promise<string> {
  const q = await server.declareQueue(uniqueName('echo'), { exclusive: true });
  await server.consume(q, async (m) => server.reply(m, `${prefix}${m.body.toString()}`), { prefetch: 10 });
  return q;
}

describeBroker('amqp transport RPC (real RabbitMQ)', () => {
  it('does a round trip over direct reply-to through a topic exchange, copying the correlation id; logs the bare RTT', async () => {
    const server = await connect();
    const client = await connect();
    const exchange = uniqueName('ex');
    await server.declareExchange(exchange, 'topic', { durable: false, autoDelete: true });
    const q = await server.declareQueue(uniqueName('rpc'), { exclusive: true });
    await server.bindQueue(q, exchange, 'svc.#');
    const seen: IncomingMessage[] = [];
    await server.consume(
      q,
      async (m) => {
        seen.push(m);
        await server.reply(m, `pong:${m.body.toString()}`);
      },
      { prefetch: 10 },
    );
    const reply = await client.request(exchange, 'svc.ping', 'ping', {
      timeoutMs: 5_000,
      correlationId: 'corr-1',
      headers: { 'x-test': 'yes' },
    });
    expect(reply.body.toString()).toBe('pong:ping');
    expect(reply.properties.correlationId).toBe('corr-1');
    expect(seen[0]?.properties).toMatchObject({ contentType: 'text/plain', correlationId: 'corr-1', headers: { 'x-test': 'yes' } });
    expect(seen[0]?.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\./);
    expect(seen[0]?.properties.persistent).toBeUndefined();
    // persistent: delivery mode 2, as Open Baton's NFVO sends its commands.
    await client.request(exchange, 'svc.ping', 'again', { timeoutMs: 5_000, persistent: true });
    expect(seen[1]?.properties.persistent).toBe(true);

    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await client.request('', q, 'x', { timeoutMs: 5_000 });
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    const median = samples[25] ?? Number.NaN;
    console.log(
      `amqp RPC round trip (direct reply-to, noDelay): median ${median.toFixed(2)} ms, min ${samples[0]?.toFixed(2)} ms, max ${samples[49]?.toFixed(2)} ms over 50`,
    );
    expect(median).toBeLessThan(10); // Nagle would make this ~40 ms
  });

  it('does a round trip with an exclusive server-named reply queue (replyMode queue)', async () => {
    const server = await connect();
    const client = await connect({ replyMode: 'queue' });
    const replyTos: string[] = [];
    const q = await server.declareQueue(uniqueName('rpcq'), { exclusive: true });
    await server.consume(q, async (m) => {
      replyTos.push(m.properties.replyTo ?? '');
      await server.reply(m, `q:${m.body.toString()}`);
    });
    const replies = await Promise.all(['a', 'b', 'c'].map((b) => client.request('', q, b, { timeoutMs: 5_000 })));
    expect(replies.map((r) => r.body.toString())).toEqual(['q:a', 'q:b', 'q:c']);
    expect(replyTos[0]).toMatch(/^amq\.gen-/);
    expect(new Set(replyTos).size).toBe(1);
  });

  it('times out a request nobody answers naming what it waited for, and honours an AbortSignal', async () => {
    const t = await connect();
    await expect(t.request('', uniqueName('nobody'), 'x', { timeoutMs: 100, waitedFor: 'GRANT_OPERATION for iperf' })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof TimeoutError && e.waitedFor === 'GRANT_OPERATION for iperf' && e.message.includes('GRANT_OPERATION for iperf'),
    );
    const controller = new AbortController();
    const request = t.request('', uniqueName('nobody'), 'x', {
      timeoutMs: 10_000,
      waitedFor: 'an aborted wait',
      signal: controller.signal,
    });
    controller.abort();
    await expect(request).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && e.message.includes('aborted while waiting for an aborted wait'),
    );
  });
});

describeBroker('amqp transport consumers (real RabbitMQ)', () => {
  it('gives each consumer its own channel and prefetch, and caps running handlers at the concurrency', async () => {
    const t = await connect();
    const q = await t.declareQueue(uniqueName('prefetch'), { exclusive: true });
    const holdA = deferred();
    const gotA = collector();
    await t.consume(
      q,
      async (m) => {
        await gotA.handler(m);
        await holdA.promise;
      },
      { prefetch: 1 },
    );
    const releaseB = deferred();
    let runningB = 0;
    let peakB = 0;
    const gotB = collector();
    await t.consume(
      q,
      async (m) => {
        runningB += 1;
        peakB = Math.max(peakB, runningB);
        await releaseB.promise;
        await gotB.handler(m);
        runningB -= 1;
      },
      { prefetch: 10, concurrency: 2 },
    );
    for (let i = 0; i < 8; i++) await t.publish('', q, String(i));
    await waitFor(() => gotA.bodies.length === 1 && runningB === 2, { what: 'A holding one delivery and B running two handlers' });
    releaseB.resolve();
    await waitFor(() => gotB.bodies.length === 7, { what: 'B handling the seven deliveries A could not take' });
    expect(gotA.bodies).toHaveLength(1);
    expect(peakB).toBe(2);
    holdA.resolve();
  });

  it('acks when the handler resolves and nacks without requeue when it throws', async () => {
    const t = await connect();
    const q = await t.declareQueue(uniqueName('nack'), { exclusive: true });
    const seen: string[] = [];
    const consumer = await t.consume(q, async (m) => {
      seen.push(m.body.toString());
      if (m.body.toString() === 'bad') throw new Error('handler failure');
    });
    for (const body of ['bad', 'a', 'b']) await t.publish('', q, body);
    await waitFor(() => seen.includes('b'), { what: 'the deliveries after the failing one' });
    await consumer.cancel();
    // Nothing was requeued: a fresh consumer only sees what is published now.
    const after = collector();
    await t.consume(q, after.handler);
    await t.publish('', q, 'marker');
    await waitFor(() => after.bodies.includes('marker'), { what: 'the marker' });
    expect(seen).toEqual(['bad', 'a', 'b']);
    expect(after.bodies).toEqual(['marker']);
  });

  it('cancel hands prefetched deliveries back (redelivered=true) and waits for the handler in flight', async () => {
    const t = await connect();
    const q = await t.declareQueue(uniqueName('cancel'), { exclusive: true });
    const started = deferred();
    const release = deferred();
    let finished = false;
    const first = await t.consume(
      q,
      async () => {
        started.resolve();
        await release.promise;
        finished = true;
      },
      { prefetch: 3, concurrency: 1 },
    );
    for (const body of ['a', 'b', 'c']) await t.publish('', q, body);
    await withTimeout(started.promise, { what: 'the first handler' });
    let cancelled = false;
    const cancelling = first.cancel().then(() => (cancelled = true));
    const second = collector();
    await t.consume(q, second.handler, { prefetch: 5 });
    await waitFor(() => second.messages.length === 2, { what: 'b and c redelivered to the second consumer' });
    expect(second.messages.map((m) => [m.body.toString(), m.redelivered])).toEqual([
      ['b', true],
      ['c', true],
    ]);
    expect(cancelled).toBe(false);
    release.resolve();
    await withTimeout(cancelling, { what: 'cancel' });
    expect(finished).toBe(true);
  });
});

describeBroker('amqp transport channel errors (real RabbitMQ)', () => {
  it('rejects the failing operation with a TransportError, re-opens the channel and keeps working', async () => {
    const t = await connect();
    const echo = await echoService(t);
    const q = await t.declareQueue(uniqueName('chan'), { exclusive: true });
    const got = collector();
    await t.consume(q, got.handler);

    await expect(t.publish(uniqueName('no-exchange'), 'k', 'x')).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /404.*NOT_FOUND - no exchange/.test(e.message),
    );
    await t.publish('', q, 'publish after a channel error');
    await expect(t.declareQueue(q, { exclusive: true, autoDelete: true })).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /PRECONDITION_FAILED - inequivalent arg 'auto_delete'/.test(e.message),
    );
    expect(await t.declareQueue(q, { exclusive: true })).toBe(q);
    await expect(t.request(uniqueName('no-exchange'), 'k', 'x', { timeoutMs: 5_000 })).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /NOT_FOUND/.test(e.message),
    );
    expect((await t.request('', echo, 'rpc after a channel error', { timeoutMs: 5_000 })).body.toString()).toBe(
      'pong:rpc after a channel error',
    );
    await expect(t.consume(uniqueName('no-queue'), async () => undefined)).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /NOT_FOUND - no queue/.test(e.message),
    );
    await t.deleteQueue(uniqueName('never-declared'));
    await waitFor(() => got.bodies.includes('publish after a channel error'), { what: 'the publish after the channel error' });
    expect(t.state).toBe('open');
  });

  it('fails only the publish or request to a missing exchange, not the others in flight with it', async () => {
    const t = await connect();
    const server = await connect();
    const q = await t.declareQueue(uniqueName('many'), { exclusive: true });
    const got = collector();
    await t.consume(q, got.handler, { prefetch: 50 });
    const slowQueue = await server.declareQueue(uniqueName('slow'), { exclusive: true });
    const answer = deferred();
    await server.consume(slowQueue, async (m) => {
      await answer.promise;
      await server.reply(m, 'slow answer');
    });
    const slow = t.request('', slowQueue, 'x', { timeoutMs: 10_000, waitedFor: 'the slow answer' });
    const missing = uniqueName('no-exchange');
    const results = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => t.publish('', q, `good-${i}`)),
      t.publish(missing, 'k', 'bad'),
      t.request(missing, 'k', 'bad', { timeoutMs: 5_000 }),
      ...Array.from({ length: 20 }, (_, i) => t.publish('', q, `good-${20 + i}`)),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    answer.resolve();
    expect((await slow).body.toString()).toBe('slow answer');
    await waitFor(() => got.bodies.length === 40, { what: 'all forty good publishes' });
  });
});

describeBroker('amqp transport reconnect (real RabbitMQ)', () => {
  it('reconnects after a forced drop: topology and consumers come back, RPCs in flight fail or are re-sent, publishes wait', async () => {
    const name = uniqueName('drop');
    const logs = captureLogger('debug');
    const t = await connect({ connectionName: name, logger: logs.logger });
    const server = await connect();
    const exchange = uniqueName('ex');
    await t.declareExchange(exchange, 'topic', { durable: false, autoDelete: true });
    const named = await t.declareQueue(uniqueName('named'), { exclusive: true });
    const anon = await t.declareQueue('', { exclusive: true });
    await t.bindQueue(named, exchange, 'named.#');
    await t.bindQueue(anon, exchange, 'anon.*');
    const gotNamed = collector();
    const gotAnon = collector();
    await t.consume(named, gotNamed.handler);
    const anonConsumer = await t.consume(anon, gotAnon.handler);

    const rpcQueue = await server.declareQueue(uniqueName('rpc'), { exclusive: true });
    const received: string[] = [];
    await server.consume(
      rpcQueue,
      async (m) => {
        const body = m.body.toString();
        received.push(body);
        // 'silent' is never answered; the first copy of 'idem' neither, so only the re-sent copy gets a reply.
        if (body === 'idem' && received.filter((b) => b === 'idem').length > 1) await server.reply(m, 'idem-reply');
      },
      { prefetch: 10 },
    );
    const inFlight = t.request('', rpcQueue, 'silent', { timeoutMs: 15_000, waitedFor: 'a silent peer' });
    const idempotent = t.request('', rpcQueue, 'idem', { timeoutMs: 15_000, waitedFor: 'an idempotent request', idempotent: true });
    await waitFor(() => received.includes('silent') && received.includes('idem'), { what: 'both requests at the server' });

    const events: string[] = [];
    for (const e of ['disconnected', 'connected', 'reconnected'] as const) t.on(e, () => events.push(e));
    let publishedWhileDown: Promise<void> | undefined;
    t.on('disconnected', () => {
      expect(t.state).toBe('reconnecting');
      publishedWhileDown = t.publish(exchange, 'named.while-down', 'while-down');
    });
    const reconnected = nextEvent(t, 'reconnected', { timeoutMs: 15_000 });

    expect(closeConnectionsNamed(name)).toBe(1);
    await expect(inFlight).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && e.message === 'connection lost while waiting for a silent peer',
    );
    await reconnected;
    expect(events).toEqual(['disconnected', 'connected', 'reconnected']);
    expect(t.state).toBe('open');
    await withTimeout(publishedWhileDown ?? Promise.reject(new Error('no publish while down')), {
      what: 'the publish made while disconnected',
    });
    expect((await idempotent).body.toString()).toBe('idem-reply');
    expect(received.filter((b) => b === 'idem')).toHaveLength(2);

    // The server-named queue has a new name; the consumer, the binding and default-exchange publishes follow it.
    expect(anonConsumer.queue).not.toBe(anon);
    expect(anonConsumer.queue).toMatch(/^amq\.gen-/);
    await t.publish(exchange, 'anon.x', 'anon via binding');
    await t.publish('', anon, 'anon via old name');
    await t.publish(exchange, 'named.y', 'named via binding');
    await waitFor(() => gotAnon.bodies.length === 2 && gotNamed.bodies.length === 2, { what: 'deliveries through the restored topology' });
    expect(gotNamed.bodies.sort()).toEqual(['named via binding', 'while-down']);
    expect(gotAnon.bodies).toEqual(['anon via binding', 'anon via old name']);

    const lost = logs.lines.filter((l) => l.msg === 'connection to the broker lost; reconnecting');
    expect(lost).toHaveLength(1);
    expect(lost[0]?.level).toBe(LEVEL.warn);
    expect(logs.lines.some((l) => l.msg.startsWith('reconnected to the broker') && l.level === LEVEL.info)).toBe(true);
    expect(logs.raw.join('')).not.toContain('guest:guest');
  });
});

describeBroker('amqp transport life-cycle (real RabbitMQ)', () => {
  it('closes gracefully: the handler in flight finishes and replies, close is idempotent, nothing reconnects', async () => {
    const name = uniqueName('close');
    const t = await createAmqpTransport({ url: AMQP_URL, connectionName: name, connectTimeoutMs: 5_000 });
    teardown.track(t, 'closing transport');
    const peer = await connect();
    const q = await t.declareQueue(uniqueName('q'), { exclusive: true });
    const started = deferred();
    const release = deferred();
    let finished = false;
    await t.consume(q, async (m) => {
      started.resolve();
      await release.promise;
      await t.reply(m, 'replied while closing');
      finished = true;
    });
    const reply = peer.request('', q, 'work', { timeoutMs: 10_000 });
    await withTimeout(started.promise, { what: 'the handler' });
    const pending = t.request('', uniqueName('nobody'), 'x', { timeoutMs: 10_000, waitedFor: 'nothing' }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const closing = t.close();
    expect(t.close()).toBe(closing);
    expect(t.state).toBe('closing');
    release.resolve();
    await withTimeout(closing, { what: 'close' });
    expect(finished).toBe(true);
    expect((await reply).body.toString()).toBe('replied while closing');
    expect(await pending).toEqual(new TransportError('transport closed while waiting for nothing'));
    expect(t.state).toBe('closed');
    await expect(t.publish('', q, 'late')).rejects.toBeInstanceOf(TransportError);
    await expect(t.request('', q, 'late', { timeoutMs: 1_000 })).rejects.toBeInstanceOf(TransportError);
    await waitFor(() => connectionPidsNamed(name).length === 0, { what: 'the broker to drop the closed connection' });
  });

  it('announces its connection name and negotiates the configured heartbeat', async () => {
    const name = uniqueName('hb');
    await connect({ connectionName: name, heartbeatSeconds: 7 });
    expect(connectionsNamed(name)).toEqual([{ pid: expect.stringMatching(/^<rabbit@/) as unknown, heartbeatSeconds: 7 }]);
  });

  it('retries the first connect with backoff, then fails naming the URL without the password', async () => {
    const logs = captureLogger('debug');
    const started = Date.now();
    await expect(
      createAmqpTransport({
        url: 'amqp://guest:s3cret-pw@127.0.0.1:1',
        connectTimeoutMs: 400,
        reconnect: { initialDelayMs: 20, maxDelayMs: 60 },
        logger: logs.logger,
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof TransportError &&
        e.message.includes('cannot connect to amqp://guest:***@127.0.0.1:1') &&
        e.message.includes('within 400 ms') &&
        !e.message.includes('s3cret'),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const warn = logs.lines.filter((l) => l.level === LEVEL.warn);
    const debug = logs.lines.filter((l) => l.msg === 'broker still unreachable; retrying');
    expect(warn.map((l) => l.msg)).toEqual(['cannot reach the broker; retrying']); // first failure of the streak only
    expect(debug.length).toBeGreaterThan(1);
    expect(debug.every((l) => l.level === LEVEL.debug)).toBe(true);
    expect(logs.raw.join('')).not.toContain('s3cret');
  });

  it('fails the first connect at once on refused credentials, without the password in the error', async () => {
    const url = new URL(AMQP_URL);
    url.password = 'wr0ng-pw';
    const started = Date.now();
    await expect(createAmqpTransport({ url: url.toString(), connectTimeoutMs: 20_000 })).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportError && /ACCESS.REFUSED/.test(e.message) && !e.message.includes('wr0ng-pw'),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
