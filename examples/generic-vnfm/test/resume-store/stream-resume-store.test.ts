// StreamResumeStore against the real RabbitMQ: VNFM replicas sharing their resume points on one stream queue.
import { randomBytes } from 'node:crypto';
import { createAmqpTransport, type AmqpTransport } from '@vnfkit/transport';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ResumeStoreError } from '../../src/errors.js';
import { StreamResumeStore, type ScriptFailure } from '../../src/resume-store/index.js';

// The broker helpers of packages/vnfm-sdk/test/helpers, in small: this project's tsconfig (rootDir) cannot include them.
const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Skipped only when explicitly asked; otherwise the suite fails without a broker (a silent skip tests nothing). */
const describeBroker = process.env['VNFKIT_SKIP_BROKER_TESTS'] === '1' ? describe.skip : describe;
const uniqueName = (prefix: string): string => `vnfkit-test-${prefix}-${randomBytes(4).toString('hex')}`;

/** Cleanups of the current test, run last-in first-out after it (all of them, even when one fails). */
const cleanups: Array<{ label: string; run: () => unknown }> = [];
afterEach(async () => {
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup.run();
    } catch (error) {
      errors.push(new Error(`teardown of ${cleanup.label} failed`, { cause: error }));
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
});
function track<T extends { close(): unknown }>(resource: T, label: string): T {
  cleanups.push({ label, run: () => resource.close() });
  return resource;
}

/** A warn-level logger whose lines are parsed into `lines`. */
function captureWarnings(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: 'warn' },
    { write: (chunk: string) => void lines.push(JSON.parse(chunk) as { level: number; msg: string }) },
  );
  return { logger, lines };
}
const WARN = 40;

const failure = (over: Partial<ScriptFailure> = {}): ScriptFailure => ({
  vnfrId: 'vnfr-1',
  vnfrName: 'iperf-server',
  event: 'INSTANTIATE',
  scriptIndex: 2,
  scriptName: 'install.sh',
  hostname: 'iperf-server-1',
  at: '2025-01-01T00:00:00.000Z',
  ...over,
});

async function connect(name: string): Promise<AmqpTransport> {
  const transport = await createAmqpTransport({
    url: AMQP_URL,
    connectionName: uniqueName(name),
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });
  return track(transport, `amqp transport ${name}`);
}

/** A fresh stream name, deleted after the test (registered before the stores, so it goes after them). */
async function freshStream(): Promise<{ stream: string; admin: AmqpTransport }> {
  const admin = await connect('resume-admin');
  const stream = uniqueName('resume-stream');
  cleanups.push({ label: `stream ${stream}`, run: () => admin.deleteQueue(stream) });
  return { stream, admin };
}

/** A replica's store on its own connection. */
async function replica(stream: string, name: string, logger?: Logger): Promise<StreamResumeStore> {
  const transport = await connect(name);
  const store = await StreamResumeStore.open({ transport, stream, ...(logger ? { logger } : {}) });
  return track(store, `resume store ${name}`);
}

describeBroker('StreamResumeStore (real RabbitMQ stream queue)', () => {
  // The behaviour every ResumeStore has (test/resume-store/resume-store.test.ts), on the stream store.
  it('records, returns, replaces and clears one failure per VNFR', async () => {
    const { stream } = await freshStream();
    const store = await replica(stream, 'contract');
    expect(await store.get('vnfr-1')).toBeUndefined();
    await store.record(failure());
    await store.record(failure({ vnfrId: 'vnfr-2', event: 'CONFIGURE' }));
    expect(await store.get('vnfr-1')).toEqual(failure());
    await store.record(failure({ scriptIndex: 3, cause: 'serviceDown', vnfcHostnames: ['a'] }));
    expect(await store.get('vnfr-1')).toEqual(failure({ scriptIndex: 3, cause: 'serviceDown', vnfcHostnames: ['a'] }));
    await store.clear('vnfr-1');
    await store.clear('vnfr-1');
    expect(await store.get('vnfr-1')).toBeUndefined();
    expect((await store.get('vnfr-2'))?.event).toBe('CONFIGURE');
  });

  it('rejects malformed failures', async () => {
    const { stream } = await freshStream();
    const store = await replica(stream, 'contract-malformed');
    await expect(store.record(failure({ scriptIndex: -1 }))).rejects.toThrow();
    await expect(store.record({ ...failure(), event: 'BOGUS' } as unknown as ScriptFailure)).rejects.toThrow();
    expect(await store.get('vnfr-1')).toBeUndefined();
  });

  it('two replicas share resume points: a record by A is seen by B at once, a clear by B by A, a later record replaces an earlier one', async () => {
    const { stream } = await freshStream();
    const a = await replica(stream, 'replica-a');
    const b = await replica(stream, 'replica-b');

    await a.record(failure());
    // No waiting: get() is a barrier on the stream (read-your-writes across replicas).
    expect(await b.get('vnfr-1')).toEqual(failure());

    await b.clear('vnfr-1');
    expect(await a.get('vnfr-1')).toBeUndefined();

    await a.record(failure({ event: 'START', scriptIndex: 0 }));
    await b.record(failure({ event: 'CONFIGURE', scriptIndex: 1, vnfcHostnames: ['iperf-server-2'] }));
    expect(await a.get('vnfr-1')).toEqual(failure({ event: 'CONFIGURE', scriptIndex: 1, vnfcHostnames: ['iperf-server-2'] }));
    expect(await b.get('vnfr-1')).toEqual(failure({ event: 'CONFIGURE', scriptIndex: 1, vnfcHostnames: ['iperf-server-2'] }));

    // A copy is returned: changing it changes nothing in the store.
    const copy = await a.get('vnfr-1');
    if (copy) copy.scriptIndex = 99;
    expect((await a.get('vnfr-1'))?.scriptIndex).toBe(1);
  });

  it('replicas writing the same VNFR at the same time end with the same state (the last record on the stream)', async () => {
    const { stream } = await freshStream();
    const a = await replica(stream, 'race-a');
    const b = await replica(stream, 'race-b');
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      writes.push(a.record(failure({ scriptIndex: i, hostname: 'from-a' })));
      writes.push(i % 3 === 0 ? b.clear('vnfr-1') : b.record(failure({ scriptIndex: i, hostname: 'from-b' })));
    }
    await Promise.all(writes);
    const seenByA = await a.get('vnfr-1');
    const seenByB = await b.get('vnfr-1');
    const late = await replica(stream, 'race-late');
    expect(seenByA).toEqual(seenByB);
    expect(await late.get('vnfr-1')).toEqual(seenByA);
  });

  it('skips (and logs) a corrupt or foreign message on the stream and keeps working', async () => {
    const { stream, admin } = await freshStream();
    const { logger, lines } = captureWarnings();
    const a = await replica(stream, 'corrupt-a', logger);
    await a.record(failure());
    await admin.publish('', stream, '{ not json');
    await admin.publish('', stream, JSON.stringify({ op: 'record', failure: { vnfrId: 'vnfr-1' } }), { contentType: 'application/json' });
    await admin.publish('', stream, JSON.stringify({ op: 'drop-everything' }), { contentType: 'application/json' });

    expect(await a.get('vnfr-1')).toEqual(failure());
    expect(lines.filter((line) => line.level === WARN)).toHaveLength(3);
    await a.record(failure({ vnfrId: 'vnfr-2' }));
    expect((await a.get('vnfr-2'))?.vnfrId).toBe('vnfr-2');

    // A replica opened later reads past the corrupt records too.
    const b = await replica(stream, 'corrupt-b');
    expect(await b.get('vnfr-1')).toEqual(failure());
    expect(await b.get('vnfr-2')).toEqual(failure({ vnfrId: 'vnfr-2' }));
  });

  it('a replica opened later sees the current state: cleared entries stay cleared, replaced ones hold the last record', async () => {
    const { stream } = await freshStream();
    const a = await replica(stream, 'history-a');
    await a.record(failure({ vnfrId: 'cleared' }));
    await a.record(failure({ vnfrId: 'replaced', scriptIndex: 1 }));
    await a.record(failure({ vnfrId: 'kept', event: 'HEAL', cause: 'serviceDown' }));
    await a.clear('cleared');
    await a.record(failure({ vnfrId: 'replaced', scriptIndex: 4 }));
    await a.close();

    const c = await replica(stream, 'history-c');
    expect(await c.get('cleared')).toBeUndefined();
    expect(await c.get('replaced')).toEqual(failure({ vnfrId: 'replaced', scriptIndex: 4 }));
    expect(await c.get('kept')).toEqual(failure({ vnfrId: 'kept', event: 'HEAL', cause: 'serviceDown' }));
  });

  it('a closed store refuses to be used (the stream stays for the other replicas)', async () => {
    const { stream } = await freshStream();
    const a = await replica(stream, 'closed-a');
    const b = await replica(stream, 'closed-b');
    await a.record(failure());
    await a.close();
    await expect(a.get('vnfr-1')).rejects.toBeInstanceOf(ResumeStoreError);
    await expect(a.record(failure())).rejects.toBeInstanceOf(ResumeStoreError);
    expect(await b.get('vnfr-1')).toEqual(failure());
  });
});
