// `oneChannel` (the agent's mode, and the bench's agent farms: many agents on one connection): consumers share the
// connection's publish channel. Each consumer used to add its own listeners to that channel, so a few dozen
// consumers (or consumers coming and going) piled them up: Node warned of a listener leak past ten.
import { expect, it } from 'vitest';
import { createAmqpTransport } from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';

describeBroker('oneChannel consumers (real RabbitMQ)', () => {
  it('40 consumers on the shared channel, half of them cancelled and replaced: all deliver, no listener pile-up', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const connectionName = uniqueName('one-channel');
      const t = teardown.track(await createAmqpTransport({ url: AMQP_URL, connectionName, oneChannel: true }), connectionName);
      const got = new Map<string, number>();
      const start = async (i: number) => {
        const queue = await t.declareQueue(uniqueName(`one-${i}`), { exclusive: true });
        const consumer = await t.consume(queue, async () => void got.set(queue, (got.get(queue) ?? 0) + 1));
        return { queue, consumer };
      };
      const consumers = await Promise.all(Array.from({ length: 40 }, (_v, i) => start(i)));
      for (const { consumer } of consumers.splice(0, 20)) await consumer.cancel();
      consumers.push(...(await Promise.all(Array.from({ length: 20 }, (_v, i) => start(40 + i)))));
      for (const { queue } of consumers) await t.publish('', queue, 'x');
      await expect.poll(() => consumers.every(({ queue }) => got.get(queue) === 1)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
