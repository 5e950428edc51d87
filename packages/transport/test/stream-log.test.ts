// StreamLog against the real RabbitMQ: a replicated log on a stream queue that several processes share.
import { expect, it } from 'vitest';
import { createAmqpTransport, StreamLog, type AmqpTransport, type Transport } from '../src/index.js';
import { AMQP_URL, closeConnectionsNamed, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { waitFor } from '../../vnfm-sdk/test/helpers/wait.js';

interface Entry {
  key: string;
  n: number;
}
const parse = (value: unknown): Entry => {
  const v = value as Partial<Entry>;
  if (typeof v.key !== 'string' || typeof v.n !== 'number') throw new Error('not an entry');
  return { key: v.key, n: v.n };
};

async function connect(name: string): Promise<AmqpTransport> {
  const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: name, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  return teardown.track(transport, `amqp transport ${name}`);
}

describeBroker('StreamLog (real RabbitMQ stream queue)', () => {
  it('a second reader sees every earlier record in order; sync() is a barrier for records appended elsewhere; foreign messages are skipped', async () => {
    const stream = uniqueName('vnfkit-test-stream');
    const a = await connect(uniqueName('stream-a'));
    const b = await connect(uniqueName('stream-b'));
    teardown.add(() => a.deleteQueue(stream), `stream ${stream}`);
    const seenA: Entry[] = [];
    const errors: Error[] = [];
    const logA = await StreamLog.open(a, stream, { parse, onRecord: (r) => seenA.push(r), onError: (e) => errors.push(e) });
    for (let n = 1; n <= 5; n++) await logA.append({ key: `k${n % 2}`, n });
    await a.publish('', stream, 'not json at all');

    const seenB: Entry[] = [];
    const logB = await StreamLog.open(b, stream, { parse, onRecord: (r) => seenB.push(r) });
    // Opened after the appends: caught up before open() resolves.
    expect(seenB.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);

    await logB.append({ key: 'from-b', n: 6 });
    await logA.sync();
    expect(seenA.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(errors).toHaveLength(1);
    await logA.close();
    await logB.close();
  });

  it('after its connection is closed the reader goes on after the last record it read and keeps following the stream', async () => {
    const stream = uniqueName('vnfkit-test-stream');
    const name = uniqueName('stream-reconnect');
    const a = await connect(name);
    const writer = await connect(uniqueName('stream-writer'));
    teardown.add(() => writer.deleteQueue(stream), `stream ${stream}`);
    const state = new Map<string, number>();
    const seen: number[] = [];
    const log = await StreamLog.open(a, stream, {
      parse,
      onRecord: (r) => {
        seen.push(r.n);
        state.set(r.key, r.n);
      },
    });
    const writerLog = await StreamLog.open(writer, stream, { parse, onRecord: () => undefined });
    await writerLog.append({ key: 'x', n: 1 });
    await log.sync();
    expect(closeConnectionsNamed(name)).toBe(1);
    await writerLog.append({ key: 'x', n: 2 });
    await waitFor(() => state.get('x') === 2, { what: 'the record appended while the reader reconnected' });
    await log.sync();
    expect(state.get('x')).toBe(2);
    // Read on from where it was, not again from the start.
    expect(seen).toEqual([1, 2]);
    await log.close();
    await writerLog.close();
  });

  it('sync() whose publish is not confirmed within the deadline rejects with a TimeoutError and leaves no unhandled rejection behind', async () => {
    const stream = uniqueName('vnfkit-test-stream');
    const real = await connect(uniqueName('stream-slow'));
    teardown.add(() => real.deleteQueue(stream), `stream ${stream}`);
    // As a stream publish waits out a leader election on a cluster: the confirm comes after sync's deadline.
    let slow = false;
    const transport: Transport = Object.create(real, {
      publish: {
        value: async (...args: Parameters<Transport['publish']>) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, 1_500));
          return real.publish(...args);
        },
      },
    }) as Transport;
    const log = await StreamLog.open(transport, stream, { parse, onRecord: () => undefined, syncTimeoutMs: 500 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      slow = true;
      const started = Date.now();
      await expect(log.sync()).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1_400);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the late publish settles meanwhile
      slow = false;
      await log.sync();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    await log.close();
  });
});
