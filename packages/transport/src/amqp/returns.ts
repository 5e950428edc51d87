import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';

/** Ties a returned `mandatory` publish on a shared channel to its publisher: a `basic.return` has no delivery tag. */
const PUBLISH_ID_HEADER = 'x-vnfkit-publish-id';

/** Per channel, the `mandatory` publishes waiting for their confirm, by publish id. */
const watched = new WeakMap<Channel, Map<string, () => void>>();

function watchedOn(channel: Channel): Map<string, () => void> {
  let waiting = watched.get(channel);
  if (!waiting) {
    const map = new Map<string, () => void>();
    channel.on('return', (msg: ConsumeMessage) => {
      const id = msg.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === 'string') map.get(id)?.();
    });
    watched.set(channel, map);
    waiting = map;
  }
  return waiting;
}

/** One `mandatory` publish being watched for its return. */
export interface ReturnWatch {
  /** The publish's headers, with the id its return is recognised by. */
  headers: Record<string, unknown>;
  /** Whether the broker returned it: final once its confirm arrived (see {@link watchReturn}). */
  returned(): boolean;
  /** Stops watching (after the confirm, or a failure). */
  stop(): void;
}

/**
 * Watches a `mandatory` publish on `channel` for the broker's return. RabbitMQ sends the `basic.return` of an
 * unroutable mandatory message before its `basic.ack` ("Publisher Confirms", rabbitmq.com/docs/confirms), and
 * amqplib handles a channel's frames in order, so once the confirm has arrived `returned()` is the answer.
 */
export function watchReturn(channel: Channel, headers: Record<string, unknown> | undefined): ReturnWatch {
  const waiting = watchedOn(channel);
  const id = randomUUID();
  let returned = false;
  waiting.set(id, () => {
    returned = true;
  });
  return {
    headers: { ...headers, [PUBLISH_ID_HEADER]: id },
    returned: () => returned,
    stop: () => void waiting.delete(id),
  };
}
