// RabbitMQ's firehose tracer on a test's private vhost: every message published there is copied to
// `amq.rabbitmq.trace` with its exchange, routing key and properties, so a test can count what really
// crossed the broker (e.g. how many answers reached one reply address) without trusting either peer.
import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';

/** One traced publish. */
export interface TracedPublish {
  exchange: string;
  routingKey: string;
  correlationId: string | undefined;
  replyTo: string | undefined;
  body: string;
}

/** Starts tracing publishes on the vhost of `url`; `stop()` turns tracing off again. */
export async function traceVhost(url: string): Promise<{ publishes: TracedPublish[]; stop: () => Promise<void> }> {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  execFileSync('rabbitmqctl', ['-q', 'trace_on', '-p', vhost]);
  const connection = await amqp.connect(url, { noDelay: true });
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'amq.rabbitmq.trace', 'publish.#');
  const publishes: TracedPublish[] = [];
  await channel.consume(
    queue,
    (msg) => {
      if (msg === null) return;
      const headers = msg.properties.headers ?? {};
      const properties = (headers['properties'] ?? {}) as Record<string, unknown>;
      const keys = headers['routing_keys'] as unknown[] | undefined;
      publishes.push({
        exchange: String(headers['exchange_name'] ?? ''),
        routingKey: String(keys?.[0] ?? ''),
        correlationId: properties['correlation_id'] === undefined ? undefined : String(properties['correlation_id']),
        replyTo: properties['reply_to'] === undefined ? undefined : String(properties['reply_to']),
        body: msg.content.toString('utf8'),
      });
    },
    { noAck: true },
  );
  return {
    publishes,
    stop: async () => {
      execFileSync('rabbitmqctl', ['-q', 'trace_off', '-p', vhost]);
      await connection.close().catch(() => undefined);
    },
  };
}
