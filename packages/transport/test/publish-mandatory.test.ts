// `mandatory` publishes: a message no queue takes is returned by the broker and the publish rejects with an
// UnroutableError (the EMS agent's hello relies on it), over the real RabbitMQ and in the memory transport.
import { expect, it } from 'vitest';
import {
  UnroutableError,
  createAmqpTransport,
  createMemoryTransport,
  MemoryBroker,
  type IncomingMessage,
  type Transport,
} from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';

/** A mix of mandatory publishes to a queue that exists and to one that does not, all at once on one connection. */
async function mixedPublishes(t: Transport): Promise<void> {
  const queue = await t.declareQueue(uniqueName('mandatory'), { exclusive: true });
  const got: IncomingMessage[] = [];
  await t.consume(queue, async (m) => void got.push(m), { prefetch: 50 });
  const missing = uniqueName('mandatory-missing');
  const outcomes = await Promise.allSettled(
    Array.from({ length: 40 }, (_v, i) =>
      t.publish('', i % 2 === 0 ? queue : missing, `m${i}`, { mandatory: true, persistent: i % 4 === 0, headers: { n: i } }),
    ),
  );
  outcomes.forEach((outcome, i) => {
    if (i % 2 === 0) expect(outcome.status, `publish ${i} to the queue`).toBe('fulfilled');
    else {
      expect(outcome.status, `publish ${i} to the missing queue`).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(UnroutableError);
      expect(String((outcome as PromiseRejectedResult).reason)).toContain(missing);
    }
  });
  await expect.poll(() => got.length).toBe(20);
  // The message arrives as sent: its own headers kept.
  expect(got.map((m) => m.body.toString()).sort()).toEqual(Array.from({ length: 20 }, (_v, i) => `m${i * 2}`).sort());
  expect(got.every((m) => typeof m.properties.headers?.['n'] === 'number')).toBe(true);
  // Without the flag, an unroutable message is dropped and the publish resolves, as before.
  await expect(t.publish('', missing, 'dropped')).resolves.toBeUndefined();
}

describeBroker('mandatory publishes (real RabbitMQ)', () => {
  it('rejects exactly the publishes no queue took with an UnroutableError, the others arrive', async () => {
    const connectionName = uniqueName('mandatory');
    const t = teardown.track(await createAmqpTransport({ url: AMQP_URL, connectionName }), `amqp transport ${connectionName}`);
    await mixedPublishes(t);
  });

  it('in the agent mode (one channel for publishes and consumers) too', async () => {
    const connectionName = uniqueName('mandatory-one');
    const t = teardown.track(
      await createAmqpTransport({ url: AMQP_URL, connectionName, oneChannel: true }),
      `amqp transport ${connectionName}`,
    );
    await mixedPublishes(t);
  });
});

it('the memory transport rejects an unroutable mandatory publish the same way', async () => {
  const t = createMemoryTransport(new MemoryBroker());
  try {
    await mixedPublishes(t);
  } finally {
    await t.close();
  }
});
