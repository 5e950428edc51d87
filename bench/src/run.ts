// pnpm bench: every figure is printed next to a floor measured in the same run, so ratios hold on a noisy machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import amqp from 'amqplib';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';

const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const require = createRequire(import.meta.url);
const agentDir = dirname(require.resolve('@vnfkit/ems-agent/package.json'));
const agentBuilt = join(agentDir, 'dist', 'cli.js');

interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  floor?: number;
  ratio?: number;
  target?: string;
}
const rows: Row[] = [];
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

function agentCommand(): string[] {
  if (existsSync(agentBuilt)) return [process.execPath, agentBuilt];
  return [process.execPath, '--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src', 'cli.ts')];
}

async function startAgent(root: string, input: { hostname: string; type: string }): Promise<ChildProcess> {
  const dir = join(root, input.hostname);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'ems.conf');
  writeFileSync(conf, `[ems]\namqp_url = ${AMQP_URL}\nhostname = ${input.hostname}\ntype = ${input.type}\nscripts_dir = ${join(dir, 'scripts')}\nstate_dir = ${join(dir, 'state')}\nlog_level = warn\n`);
  const [cmd, ...args] = agentCommand();
  return spawn(cmd ?? process.execPath, [...args, '--config', conf], { stdio: 'ignore' });
}

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

async function emsRoundTrip(root: string): Promise<void> {
  const floor = await bareFloor();
  const floorP50 = percentile(floor.rpc, 50) + percentile(floor.spawnMs, 50);
  const type = `bench${randomBytes(3).toString('hex')}`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL, connectionName: 'vnfkit-bench' });
  const ems = new EmsClient({ transport, endpoint: type, commandTimeoutMs: 30_000, helloTimeoutMs: 30_000 });
  await ems.start();
  const agents = await Promise.all(Array.from({ length: 4 }, (_v, i) => startAgent(root, { hostname: `${type}-${i + 1}`, type })));
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
  await Promise.all(agents.map((a) => new Promise((r) => { a.once('exit', r); a.kill('SIGTERM'); })));
}

async function agentFootprint(root: string): Promise<void> {
  const type = `bench${randomBytes(3).toString('hex')}`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL });
  const ems = new EmsClient({ transport, endpoint: type, helloTimeoutMs: 30_000 });
  await ems.start();
  const startup: number[] = [];
  const rss: number[] = [];
  const nodeBaseline: number[] = [];
  for (let i = 0; i < 5; i++) {
    const hostname = `${type}-f${i}`;
    const t0 = performance.now();
    const agent = await startAgent(root, { hostname, type });
    await ems.waitForAgent(hostname);
    startup.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1000)); // let the idle heap settle before reading RSS
    const status = await readFile(`/proc/${agent.pid ?? 0}/status`, 'utf8');
    rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    await new Promise((r) => { agent.once('exit', r); agent.kill('SIGTERM'); });
    // Floor: a bare `node -e` that just sleeps.
    const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)'], { stdio: 'ignore' });
    const b0 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    const bareStatus = await readFile(`/proc/${bare.pid ?? 0}/status`, 'utf8');
    nodeBaseline.push(Number(/VmRSS:\s+(\d+)/.exec(bareStatus)?.[1] ?? 0) / 1024);
    bare.kill();
    void b0;
  }
  const floorRss = percentile(nodeBaseline, 50);
  rows.push(
    { benchmark: 'Agent footprint', figure: 'idle RSS', value: round(percentile(rss, 50), 1), unit: 'MB', floor: round(floorRss, 1), ratio: round(percentile(rss, 50) / floorRss, 2), target: '≤ 60 MB' },
    { benchmark: 'Agent footprint', figure: 'start-to-hello', value: round(percentile(startup, 50), 1), unit: 'ms', target: '≤ 300 ms' },
  );
  await ems.stop();
  await transport.close();
}

async function main(): Promise<void> {
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-bench-'));
  try {
    if (!existsSync(agentBuilt)) console.error('note: @vnfkit/ems-agent is not built; agents run through tsx (run `pnpm build` for production figures)');
    await emsRoundTrip(root);
    await agentFootprint(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.table(rows);
  const outDir = join(import.meta.dirname, '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
  console.log(`wrote ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await main();
