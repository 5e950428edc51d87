import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { onTestFinished } from 'vitest';
import { withDeadline } from './wait-for.js';

const run = promisify(execFile);

/** Broker URL of the integration tests. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Broker suites are skipped only when explicitly asked (never in CI): a silent skip tests nothing. */
export const SKIP_BROKER_TESTS = process.env.VNFKIT_SKIP_BROKER_TESTS === '1';
/** Open Baton's exchange (the Java Generic VNFM declares it: topic, durable). */
export const EXCHANGE = 'openbaton-exchange';

/** A reply as the VNFM receives it. */
export interface ReceivedReply {
  body: string;
  json: { output: string; err: string; status: number };
  contentType: string | undefined;
  correlationId: string | undefined;
  headers: Record<string, unknown>;
}

/** What a command sends besides the body. */
export interface SendOptions {
  headers?: Record<string, unknown>;
  correlationId?: string;
  timeoutMs?: number;
  /** Omit reply_to. */
  noReply?: boolean;
  /** Another reply_to than this VNFM's reply queue. */
  replyTo?: string;
}

/**
 * Plays the Java Generic VNFM on a real RabbitMQ: declares `openbaton-exchange` (topic, durable)
 * and `ems.<type>.register` itself, collects hellos, sends text/plain commands with reply_to +
 * correlation_id to `vnfm.<hostname>.actions` and waits for the replies.
 */
export class FakeVnfm {
  readonly hellos: { hostname: string; contentType: string | undefined; verifies?: string }[] = [];
  private readonly pending = new Map<string, (reply: ReceivedReply) => void>();
  readonly lateReplies: ReceivedReply[] = [];
  private replyQueue = '';

  private constructor(
    readonly type: string,
    private readonly model: ChannelModel,
    private readonly channel: Channel,
  ) {}

  /** Connects (failing loudly when no broker answers) and sets up the register and reply queues. */
  static async start(type: string): Promise<FakeVnfm> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(AMQP_URL, { noDelay: true, timeout: 5_000 });
    } catch (error) {
      throw new Error(`integration tests need RabbitMQ at ${AMQP_URL} (set AMQP_URL): ${(error as Error).message}`);
    }
    const channel = await model.createChannel();
    const vnfm = new FakeVnfm(type, model, channel);
    onTestFinished(() => vnfm.close());
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true, autoDelete: false });
    const register = `ems.${type}.register`;
    await channel.assertQueue(register, { durable: false, autoDelete: true, exclusive: true, arguments: { 'x-expires': 600_000 } });
    await channel.consume(
      register,
      (message) => {
        if (!message) return;
        const parsed = JSON.parse(message.content.toString('utf8')) as { hostname: string; verifies?: string };
        vnfm.hellos.push({
          hostname: parsed.hostname,
          contentType: message.properties.contentType as string | undefined,
          ...(parsed.verifies !== undefined ? { verifies: parsed.verifies } : {}),
        });
      },
      { noAck: true },
    );
    const reply = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    vnfm.replyQueue = reply.queue;
    await channel.consume(reply.queue, (message) => vnfm.onReply(message), { noAck: true });
    return vnfm;
  }

  private onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    const body = message.content.toString('utf8');
    const correlationId = message.properties.correlationId as string | undefined;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const reply: ReceivedReply = {
      body,
      json: JSON.parse(body) as ReceivedReply['json'],
      contentType: message.properties.contentType as string | undefined,
      correlationId,
      headers,
    };
    const waiter = correlationId !== undefined ? this.pending.get(correlationId) : undefined;
    if (waiter) {
      this.pending.delete(correlationId as string);
      waiter(reply);
    } else {
      this.lateReplies.push(reply);
    }
  }

  /** Publishes a command and resolves with its reply (rejects after `timeoutMs`). */
  async send(hostname: string, command: unknown, options: SendOptions = {}): Promise<ReceivedReply> {
    const correlationId = options.correlationId ?? randomUUID();
    const body = typeof command === 'string' ? command : JSON.stringify(command);
    const replied = new Promise<ReceivedReply>((resolve) => this.pending.set(correlationId, resolve));
    this.publishRaw(hostname, body, { ...options, correlationId });
    try {
      return await withDeadline(replied, options.timeoutMs ?? 15_000, `the reply of ${hostname} to ${body.slice(0, 60)}`);
    } finally {
      this.pending.delete(correlationId);
    }
  }

  /** Publishes a command without waiting. */
  publishRaw(hostname: string, body: string, options: SendOptions & { correlationId: string }): void {
    this.channel.publish(EXCHANGE, `vnfm.${hostname}.actions`, Buffer.from(body, 'utf8'), {
      contentType: 'text/plain',
      contentEncoding: 'UTF-8',
      correlationId: options.correlationId,
      ...(options.noReply ? {} : { replyTo: options.replyTo ?? this.replyQueue }),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  }

  /** Waits for a reply with `correlationId` that arrives later (e.g. after an agent restart). */
  async waitReply(correlationId: string, timeoutMs: number): Promise<ReceivedReply> {
    const early = this.lateReplies.find((r) => r.correlationId === correlationId);
    if (early) return early;
    const replied = new Promise<ReceivedReply>((resolve) => this.pending.set(correlationId, resolve));
    return withDeadline(replied, timeoutMs, `the reply with correlation id ${correlationId}`);
  }

  /** The reply_to of the commands this VNFM sends (its exclusive reply queue). */
  get replyTo(): string {
    return this.replyQueue;
  }

  /** Hellos received from `hostname`. */
  hellosFrom(hostname: string): number {
    return this.hellos.filter((h) => h.hostname === hostname).length;
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

/** Closes the broker connection whose client-provided name is `connectionName` (rabbitmqctl). Returns how many were closed. */
export async function closeConnectionNamed(connectionName: string): Promise<number> {
  const list = async (items: string[]): Promise<string> =>
    (await run('rabbitmqctl', ['list_connections', ...items, '-q', '--formatter', 'json'], { timeout: 20_000 })).stdout;
  const rows = JSON.parse(await list(['name', 'client_properties'])) as { name: string; client_properties: [string, string, unknown][] }[];
  const names = new Set(
    rows
      .filter((row) => row.client_properties.some(([key, , value]) => key === 'connection_name' && value === connectionName))
      .map((row) => row.name),
  );
  // close_connection wants the pid as the text formatter prints it (<rabbit@host.x.y.z>), not the JSON form.
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'name', '-q', '--no-table-headers'], { timeout: 20_000 });
  const matches = stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([pid, name]) => pid && name && names.has(name));
  for (const [pid] of matches) {
    await run('rabbitmqctl', ['close_connection', pid as string, 'vnfkit test: simulated connection loss'], { timeout: 20_000 });
  }
  return matches.length;
}

/** The channels the broker counts on each connection whose client-provided name is `connectionName`. */
export async function channelsOfConnectionNamed(connectionName: string): Promise<number[]> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'client_properties', 'channels', '-q', '--formatter', 'json'], {
    timeout: 20_000,
  });
  const rows = JSON.parse(stdout) as { client_properties: [string, string, unknown][]; channels: number }[];
  return rows
    .filter((row) => row.client_properties.some(([key, , value]) => key === 'connection_name' && value === connectionName))
    .map((row) => row.channels);
}

/** Whether the actions queue of `hostname` currently exists. */
export async function queueExists(queue: string): Promise<boolean> {
  const model = await amqp.connect(AMQP_URL, { noDelay: true });
  try {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(queue);
    return true;
  } catch {
    return false;
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Deletes `queue` when the current test finishes (for queues that must outlive a connection). */
export function deleteQueueAfterTest(queue: string): void {
  onTestFinished(async () => {
    const model = await amqp.connect(AMQP_URL, { noDelay: true });
    const channel = await model.createChannel();
    await channel.deleteQueue(queue).catch(() => undefined);
    await model.close().catch(() => undefined);
  });
}
