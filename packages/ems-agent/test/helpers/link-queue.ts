import { onTestFinished } from 'vitest';
import type { AmqpLink, AmqpLinkOptions } from '../../src/transport/amqp-link.js';
import { createAmqpLink } from '../../src/transport/amqp-link.js';
import type { LinkConsumeOptions } from '../../src/link.js';
import { AMQP_URL, deleteQueueAfterTest } from './broker.js';
import { uniqueName } from './temp.js';

/**
 * An agent link named `vnfkit-link-<label>-…` (closed after the test) consuming a queue of its own
 * (`<name>.q`, deleted after the test) into `received`. The link is not connected yet: call `connect()`.
 */
export async function linkWithQueue(
  label: string,
  options: Omit<AmqpLinkOptions, 'url' | 'connectionName'> = {},
  consume: LinkConsumeOptions = {},
): Promise<{ link: AmqpLink; name: string; queue: string; received: string[] }> {
  const name = uniqueName('vnfkit-link', label);
  const link = createAmqpLink({ url: AMQP_URL, connectionName: name, ...options });
  onTestFinished(() => link.close());
  const queue = `${name}.q`;
  deleteQueueAfterTest(queue);
  await link.declareQueue(queue, { expiresMs: 60_000 });
  const received: string[] = [];
  await link.consume(queue, async (message) => {
    received.push(message.body.toString());
  }, consume);
  return { link, name, queue, received };
}
