// Benchmark 1: EMS round trip — EXECUTE of a no-op script, VNFM → agent → reply, against a floor of a bare
// amqplib RPC plus a bare spawn of /bin/true measured in the same run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { startAgent, stopAgent } from './agents.js';
import { AMQP_URL, percentile, round, type Row } from './table.js';

async function bareFloor(): Promise<{ rpc: number[]; spawnMs: number[] }> {
  const conn = await amqp.connect(AMQP_URL, { noDelay: true });
  const server = await conn.createChannel();
  const q = (await server.assertQueue('', { exclusive: true })).queue;
  await server.consume(q, (m) => {
    if (m) server.sendToQueue(String(m.properties.replyTo), m.content, { correlationId: m.properties.correlationId });
    if (m) server.ack(m);
  });
  const client = await conn.createChannel();
  const waiters = new Map<string, () => void>();
  await client.consume('amq.rabbitmq.reply-to', (m) => m && waiters.get(String(m.properties.correlationId))?.(), { noAck: true });
  const rpc: number[] = [];
  for (let i = 0; i < 300; i++) {
    const id = String(i);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      waiters.set(id, resolve);
      client.sendToQueue(q, Buffer.from('{}'), { correlationId: id, replyTo: 'amq.rabbitmq.reply-to' });
    });
    rpc.push(performance.now() - t0);
  }
  await conn.close();
  const spawnMs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await new Promise((r) => spawn('/bin/true').once('exit', r));
    spawnMs.push(performance.now() - t0);
  }
  return { rpc, spawnMs };
}

export async function emsRoundTrip(root: string, rows: Row[]): Promise<void> {
  const floor = await bareFloor();
  const floorP50 = percentile(floor.rpc, 50) + percentile(floor.spawnMs, 50);
  const type = `bench${randomBytes(3).toString('hex')}`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL, connectionName: 'vnfkit-bench' });
  const ems = new EmsClient({ transport, endpoint: type, commandTimeoutMs: 30_000, helloTimeoutMs: 30_000 });
  await ems.start();
  const agents = Array.from({ length: 4 }, (_v, i) => startAgent(root, { hostname: `${type}-${i + 1}`, type }));
  const hosts = agents.map((_a, i) => `${type}-${i + 1}`);
  for (const h of hosts) {
    await ems.waitForAgent(h);
    await ems.saveScript(h, { name: 'noop.sh', content: ':\n' });
  }
  for (let i = 0; i < 20; i++) await ems.execute(hosts[0] ?? '', { payload: 'noop.sh', env: {} }); // warm-up
  const lat: number[] = [];
  const t1 = performance.now();
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await ems.execute(hosts[0] ?? '', { payload: 'noop.sh', env: { N: String(i) } });
    lat.push(performance.now() - t0);
  }
  const seqThroughput = 300 / ((performance.now() - t1) / 1000);
  const lat32: number[] = [];
  const t2 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async (_v, w) => {
    while (next < 640) {
      next += 1;
      const t0 = performance.now();
      await ems.execute(hosts[w % hosts.length] ?? '', { payload: 'noop.sh', env: {} });
      lat32.push(performance.now() - t0);
    }
  }));
  const parThroughput = lat32.length / ((performance.now() - t2) / 1000);
  const p50 = percentile(lat, 50);
  rows.push(
    { benchmark: 'EMS round trip', figure: 'p50 (concurrency 1)', value: round(p50), unit: 'ms', floor: round(floorP50), ratio: round(p50 / floorP50, 2), target: '≤ 1.5' },
    { benchmark: 'EMS round trip', figure: 'p99 (concurrency 1)', value: round(percentile(lat, 99)), unit: 'ms', floor: round(percentile(floor.rpc, 99) + percentile(floor.spawnMs, 99)) },
    { benchmark: 'EMS round trip', figure: 'throughput (concurrency 1)', value: round(seqThroughput, 1), unit: 'exec/s', floor: round(1000 / floorP50, 1) },
    { benchmark: 'EMS round trip', figure: 'p50 (concurrency 32, 4 agents)', value: round(percentile(lat32, 50)), unit: 'ms' },
    { benchmark: 'EMS round trip', figure: 'throughput (concurrency 32, 4 agents)', value: round(parThroughput, 1), unit: 'exec/s' },
    { benchmark: 'EMS round trip', figure: 'floor: bare amqplib RPC p50', value: round(percentile(floor.rpc, 50)), unit: 'ms' },
    { benchmark: 'EMS round trip', figure: 'floor: spawn /bin/true p50', value: round(percentile(floor.spawnMs, 50)), unit: 'ms' },
  );
  await ems.stop();
  await transport.close();
  await Promise.all(agents.map(stopAgent));
}
