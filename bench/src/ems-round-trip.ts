// Benchmark 1: EMS round trip — EXECUTE of a no-op script, VNFM → agent → reply, against a floor of a bare
// amqplib RPC plus a bare spawn of /bin/true measured in the same run.
//
// The floor samples are taken interleaved with the EMS samples (one bare RPC, one spawn, one EXECUTE per
// round), so a machine whose load changes during the run shifts value and floor alike; measured one after
// the other, a load change between the two phases alone moved the ratio by ±30 %.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { startAgent, stopAgent } from './agents.js';
import { AMQP_URL, percentile, round, type Row } from './table.js';

/** A bare amqplib RPC pair (echo server and client on one connection, direct reply-to). */
async function bareRpc(): Promise<{ call: () => Promise<void>; close: () => Promise<void> }> {
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
  let next = 0;
  return {
    call: () =>
      new Promise<void>((resolve) => {
        const id = String(next++);
        waiters.set(id, () => {
          waiters.delete(id);
          resolve();
        });
        client.sendToQueue(q, Buffer.from('{}'), { correlationId: id, replyTo: 'amq.rabbitmq.reply-to' });
      }),
    close: () => conn.close(),
  };
}

/** A bare spawn of /bin/true, waited for until it exits. */
function spawnTrue(): Promise<unknown> {
  return new Promise((resolve) => spawn('/bin/true').once('exit', resolve));
}

async function timed(fn: () => Promise<unknown>, into: number[]): Promise<void> {
  const t0 = performance.now();
  await fn();
  into.push(performance.now() - t0);
}

export async function emsRoundTrip(root: string, rows: Row[]): Promise<void> {
  const rpc = await bareRpc();
  const type = `bench${randomBytes(3).toString('hex')}`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL, connectionName: 'vnfkit-bench' });
  const ems = new EmsClient({ transport, endpoint: type, commandTimeoutMs: 30_000, helloTimeoutMs: 30_000 });
  await ems.start();
  const agents = Array.from({ length: 4 }, (_v, i) => startAgent(root, { hostname: `${type}-${i + 1}`, type }));
  const hosts = agents.map((_a, i) => `${type}-${i + 1}`);
  // One more agent with a queue that outlives its connection (autodelete = false): there a command can be
  // redelivered, so every "started" record is fdatasync'd before the script runs.
  const durableHost = `${type}-9`;
  const durable = startAgent(root, { hostname: durableHost, type, autodelete: false });
  for (const h of [...hosts, durableHost]) {
    await ems.waitForAgent(h);
    await ems.saveScript(h, { name: 'noop.sh', content: ':\n' });
  }
  const host = hosts[0] ?? '';
  for (let i = 0; i < 20; i++) {
    await ems.execute(host, { payload: 'noop.sh', env: {} }); // warm-up
    await ems.execute(durableHost, { payload: 'noop.sh', env: {} });
    await rpc.call();
    await spawnTrue();
  }
  const floorRpc: number[] = [];
  const floorSpawn: number[] = [];
  const lat: number[] = [];
  const latDurable: number[] = [];
  for (let i = 0; i < 300; i++) {
    const steps: [() => Promise<unknown>, number[]][] = [
      [() => rpc.call(), floorRpc],
      [() => spawnTrue(), floorSpawn],
      [() => ems.execute(host, { payload: 'noop.sh', env: { N: String(i) } }), lat],
      [() => ems.execute(durableHost, { payload: 'noop.sh', env: { N: String(i) } }), latDurable],
    ];
    // Rotate the order so no step always runs right after the same neighbour.
    for (let s = 0; s < steps.length; s++) {
      const step = steps[(i + s) % steps.length];
      if (step) await timed(step[0], step[1]);
    }
  }
  await rpc.close();
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const seqThroughput = lat.length / (sum(lat) / 1000);
  const lat32: number[] = [];
  const t2 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async (_v, w) => {
      while (next < 640) {
        next += 1;
        const t0 = performance.now();
        await ems.execute(hosts[w % hosts.length] ?? '', { payload: 'noop.sh', env: {} });
        lat32.push(performance.now() - t0);
      }
    }),
  );
  const parThroughput = lat32.length / ((performance.now() - t2) / 1000);
  const floorP50 = percentile(floorRpc, 50) + percentile(floorSpawn, 50);
  const p50 = percentile(lat, 50);
  const p50Durable = percentile(latDurable, 50);
  rows.push(
    {
      benchmark: 'EMS round trip',
      figure: 'p50 (concurrency 1)',
      value: round(p50),
      unit: 'ms',
      floor: round(floorP50),
      ratio: round(p50 / floorP50, 2),
      target: '≤ 1.5',
    },
    {
      benchmark: 'EMS round trip',
      figure: "p50 (concurrency 1, autodelete=false: started record fdatasync'd)",
      value: round(p50Durable),
      unit: 'ms',
      floor: round(floorP50),
      ratio: round(p50Durable / floorP50, 2),
    },
    {
      benchmark: 'EMS round trip',
      figure: 'p99 (concurrency 1)',
      value: round(percentile(lat, 99)),
      unit: 'ms',
      floor: round(percentile(floorRpc, 99) + percentile(floorSpawn, 99)),
    },
    {
      benchmark: 'EMS round trip',
      figure: 'throughput (concurrency 1)',
      value: round(seqThroughput, 1),
      unit: 'exec/s',
      floor: round(1000 / floorP50, 1),
    },
    { benchmark: 'EMS round trip', figure: 'p50 (concurrency 32, 4 agents)', value: round(percentile(lat32, 50)), unit: 'ms' },
    { benchmark: 'EMS round trip', figure: 'throughput (concurrency 32, 4 agents)', value: round(parThroughput, 1), unit: 'exec/s' },
    { benchmark: 'EMS round trip', figure: 'floor: bare amqplib RPC p50', value: round(percentile(floorRpc, 50)), unit: 'ms' },
    { benchmark: 'EMS round trip', figure: 'floor: spawn /bin/true p50', value: round(percentile(floorSpawn, 50)), unit: 'ms' },
  );
  await ems.stop();
  await transport.close();
  await Promise.all([...agents, durable].map(stopAgent));
  // Its queue is not auto-delete: remove it so runs leave nothing behind on the broker.
  const cleanup = await amqp.connect(AMQP_URL);
  await (await cleanup.createChannel()).deleteQueue(`vnfm.${durableHost}.actions`);
  await cleanup.close();
}
