// Cluster test of scripts/cluster: a 3-node RabbitMQ cluster (c1..c3 on 5701..5703, beside the broker on
// 5672) where a quorum queue survives the loss of the node it was declared on. Not part of `pnpm test`:
// it needs root (or the user rabbitmq) and starts three broker nodes (~15 s the first time).
// The cluster is left running only if it was running before the test.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../../scripts/cluster', import.meta.url));
const PORTS = [5701, 5702, 5703];
const url = (port: number): string => `amqp://guest:guest@127.0.0.1:${port}`;

async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run(SCRIPT, args, { timeout: 180_000 });
  return stdout.trim();
}

async function wasRunning(): Promise<boolean> {
  try {
    await cluster('status');
    return true;
  } catch {
    return false; // status exits non-zero unless all 3 nodes run clustered
  }
}

async function connect(port: number): Promise<ChannelModel> {
  const connection = await amqp.connect(url(port), { noDelay: true });
  connection.on('error', () => undefined); // a stopped node closes the connection: expected here
  return connection;
}

describe('scripts/cluster', () => {
  let runningBefore = false;
  const connections: ChannelModel[] = [];

  beforeAll(async () => {
    runningBefore = await wasRunning();
    const urls = await cluster('start');
    expect(urls).toBe(PORTS.map(url).join(','));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    // Node 1 is back in the cluster even if a test failed half-way.
    await cluster('start');
    if (!runningBefore) await cluster('stop');
  }, 240_000);

  it('every node answers AMQP', async () => {
    for (const port of PORTS) {
      const connection = await connect(port);
      connections.push(connection);
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      expect(queue).toMatch(/^amq\.gen-/);
      await channel.close();
    }
  });

  it('a quorum queue declared on node 1 keeps a confirmed message when node 1 stops', async () => {
    const queue = `vnfkit-cluster-test-${randomBytes(4).toString('hex')}`;
    const body = `hello ${queue}`;
    const c1 = await connect(5701);
    const confirm = await c1.createConfirmChannel();
    await confirm.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    confirm.sendToQueue(queue, Buffer.from(body), { persistent: true });
    await confirm.waitForConfirms();
    await c1.close().catch(() => undefined);

    await cluster('stop-node', '1');
    const status = await run(SCRIPT, ['status']).catch((e: { stdout: string }) => e);
    expect(status.stdout).toMatch(/c1@localhost\s+stopped/);

    const c2 = await connect(5702);
    connections.push(c2);
    // The two remaining nodes elect a new leader; until then a get may fail (and close its channel).
    let channel: Channel | undefined;
    let message: GetMessage | false = false;
    for (let i = 0; i < 100 && message === false; i++) {
      channel ??= await c2.createChannel();
      channel.on('error', () => undefined);
      try {
        message = await channel.get(queue, { noAck: false });
      } catch {
        channel = undefined;
      }
      if (message === false) await new Promise((r) => setTimeout(r, 100));
    }
    expect(message && message.content.toString()).toBe(body);
    if (!channel || !message) throw new Error('no message');
    channel.ack(message);
    await channel.deleteQueue(queue);
    await channel.close();

    await cluster('start-node', '1');
    const c1again = await connect(5701);
    connections.push(c1again);
    const check = await c1again.createChannel();
    const { queue: probe } = await check.assertQueue('', { exclusive: true });
    expect(probe).toMatch(/^amq\.gen-/);
    await check.close();
  }, 240_000);
});
