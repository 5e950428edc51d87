// What one idle EMS agent costs a RabbitMQ node (for docs/scaling.md): starts N agents against ONE broker
// node and prints that node's connections, channels, queues, consumers and memory before and after.
//
//   cd bench && npx tsx --conditions=@vnfkit/source src/broker-per-agent.ts --agents 100,200,400 \
//     --url amqp://guest:guest@127.0.0.1:5701 [--node c1@localhost] [--mode inproc|process] [--settle 15]
//
// Every agent is a real `@vnfkit/ems-agent` agent with its OWN AMQP connection, as in production (one agent per
// VM): --mode inproc (default) runs them in this process through `createAgent({ config })` without a `link`, which
// is exactly what the `vnfkit-ems` CLI does, so the broker sees the same connection, channel, queue, binding and
// consumer per agent; --mode process starts real `vnfkit-ems` processes (about 50 MB RSS each on the agent side).
// (The deployment-scale farm in agent-farm.ts shares one connection among many agents, which is cheaper for the
// broker than production: it is not used here.)
// `--agents 100,200,400` adds agents step by step and measures after each step. Needs `rabbitmqctl` and
// `rabbitmq-diagnostics` for the node (root or the user rabbitmq) and /proc for the node's RSS.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { createAgent, type Agent } from '@vnfkit/ems-agent';

const exec = promisify(execFile);

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5701' },
    node: { type: 'string' },
    mode: { type: 'string', default: 'inproc' },
    settle: { type: 'string', default: '15' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: tsx src/broker-per-agent.ts --agents 100[,200,...] --url amqp://... [--node cN@localhost] [--mode inproc|process] [--settle SECONDS]',
  );
  process.exit(0);
}
const steps = values.agents.split(',').map((s) => Number(s.trim()));
if (steps.some((n) => !Number.isInteger(n) || n <= 0) || steps.some((n, i) => i > 0 && n <= (steps[i - 1] ?? 0))) {
  throw new Error(`--agents must be increasing positive integers, got ${values.agents}`);
}
if (values.mode !== 'inproc' && values.mode !== 'process') throw new Error(`--mode must be inproc or process, got ${values.mode}`);
const url = values.url;
const port = Number(new URL(url).port || 5672);
// The cluster script's ports 5701..5703 belong to c1..c3@localhost; 5672 is rabbit@localhost.
const node = values.node ?? (port >= 5701 && port <= 5703 ? `c${port - 5700}@localhost` : 'rabbit@localhost');
const settleMs = Number(values.settle) * 1000;

interface Sample {
  agents: number;
  connections: number;
  channels: number;
  queues: number;
  consumers: number;
  /** Sum of memory_breakdown (the node's RSS under the default `rss` strategy), MB. */
  totalMb: number;
  /** The same without reserved_unallocated (memory the VM allocated), MB. */
  allocatedMb: number;
  /** connection_readers + connection_writers + connection_channels + connection_other, MB. */
  connectionsMb: number;
  /** queue_procs (classic queue processes), MB. */
  queueProcsMb: number;
  /** binary (refc binaries: the connections' socket buffers), MB. */
  binaryMb: number;
  /** VmRSS of the node's beam.smp from /proc, MB. */
  rssMb: number;
  /** File descriptors in use (status), from `rabbitmq-diagnostics status`. */
  fds: number;
}

async function cli(tool: 'rabbitmqctl' | 'rabbitmq-diagnostics', ...args: string[]): Promise<string> {
  const { stdout } = await exec(tool, ['-q', '-n', node, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function count(what: 'connections' | 'channels' | 'queues' | 'consumers'): Promise<number> {
  const out = await cli(
    'rabbitmqctl',
    `list_${what}`,
    ...(what === 'queues' ? ['name'] : what === 'consumers' ? [] : ['pid']),
    '--formatter',
    'json',
  );
  return (JSON.parse(out) as unknown[]).length;
}

async function memory(): Promise<Pick<Sample, 'totalMb' | 'allocatedMb' | 'connectionsMb' | 'queueProcsMb' | 'binaryMb'>> {
  const breakdown = JSON.parse(await cli('rabbitmq-diagnostics', 'memory_breakdown', '--unit', 'mb', '--formatter', 'json')) as Record<
    string,
    { bytes: number }
  >;
  const mb = (key: string): number => (breakdown[key]?.bytes ?? 0) / 1024 / 1024;
  if (values.verbose)
    console.error(
      JSON.stringify(
        Object.fromEntries(
          Object.keys(breakdown)
            .map((k) => [k, Math.round(mb(k) * 10) / 10])
            .filter(([, v]) => v !== 0),
        ),
      ),
    );
  const total = Object.keys(breakdown).reduce((sum, key) => sum + mb(key), 0);
  return {
    totalMb: total,
    allocatedMb: total - mb('reserved_unallocated'),
    connectionsMb: mb('connection_readers') + mb('connection_writers') + mb('connection_channels') + mb('connection_other'),
    queueProcsMb: mb('queue_procs'),
    binaryMb: mb('binary'),
  };
}

async function rss(): Promise<number> {
  const pid = JSON.parse((await cli('rabbitmqctl', 'eval', 'os:getpid().')).trim()) as string;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function fds(): Promise<number> {
  const out = await cli('rabbitmq-diagnostics', 'status', '--formatter', 'json');
  const status = JSON.parse(out) as { file_descriptors?: { total_used?: number } };
  return status.file_descriptors?.total_used ?? NaN;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Three samples 2 s apart after the node settled; memory figures are medians. */
async function sample(agents: number): Promise<Sample> {
  await new Promise((r) => setTimeout(r, settleMs));
  const memories: Awaited<ReturnType<typeof memory>>[] = [];
  const rsses: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 2000));
    memories.push(await memory());
    rsses.push(await rss());
  }
  const pick = (key: keyof (typeof memories)[number]): number => median(memories.map((m) => m[key]));
  return {
    agents,
    connections: await count('connections'),
    channels: await count('channels'),
    queues: await count('queues'),
    consumers: await count('consumers'),
    totalMb: pick('totalMb'),
    allocatedMb: pick('allocatedMb'),
    connectionsMb: pick('connectionsMb'),
    queueProcsMb: pick('queueProcsMb'),
    binaryMb: pick('binaryMb'),
    rssMb: median(rsses),
    fds: await fds(),
  };
}

/** The exchange the agents bind to exists once a VNFM ran; declare it as the VNFM does. */
async function declareExchange(): Promise<void> {
  const connection = await amqp.connect(url, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.assertExchange('openbaton-exchange', 'topic', { durable: true });
  await connection.close();
}

interface Running {
  close(): Promise<void>;
}

async function startInproc(root: string, type: string, hostname: string): Promise<Running> {
  const dir = join(root, hostname);
  const agent: Agent = await createAgent({
    config: { hostname, type, amqp_url: url, scripts_dir: join(dir, 'scripts'), state_dir: join(dir, 'state'), log_level: 'warn' },
  });
  await agent.start();
  return agent;
}

async function startProcess(root: string, type: string, hostname: string): Promise<Running> {
  // agents.ts reads the broker URL from AMQP_URL when it is first imported.
  process.env['AMQP_URL'] = url;
  const { startAgent, stopAgent } = await import('./agents.js');
  const child: ChildProcess = startAgent(root, { hostname, type });
  return { close: () => stopAgent(child) };
}

/** Waits until the node lists `expected` connections (process agents connect asynchronously). */
async function waitForConnections(expected: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const n = await count('connections');
    if (n >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${expected} connections after 120 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function printTable(rows: Sample[]): void {
  const base = rows[0];
  if (!base) return;
  const perAgent = (row: Sample, key: 'totalMb' | 'allocatedMb' | 'rssMb' | 'connectionsMb' | 'queueProcsMb' | 'binaryMb'): string =>
    row.agents === 0 ? '' : (((row[key] - base[key]) * 1024) / (row.agents - base.agents)).toFixed(1);
  console.table(
    rows.map((row) => ({
      agents: row.agents,
      connections: row.connections,
      channels: row.channels,
      queues: row.queues,
      consumers: row.consumers,
      fds: row.fds,
      'total MB': row.totalMb.toFixed(1),
      'RSS MB': row.rssMb.toFixed(1),
      // Deltas against the first row (0 agents), divided by the agents added.
      'KB/agent total': perAgent(row, 'totalMb'),
      'KB/agent RSS': perAgent(row, 'rssMb'),
      'KB/agent allocated': perAgent(row, 'allocatedMb'),
      'KB/agent binary': perAgent(row, 'binaryMb'),
      'KB/agent conn procs': perAgent(row, 'connectionsMb'),
      'KB/agent queue procs': perAgent(row, 'queueProcsMb'),
    })),
  );
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vnfkit-broker-per-agent-'));
  const type = `peragent${randomBytes(3).toString('hex')}`;
  const running: Running[] = [];
  const rows: Sample[] = [];
  console.error(`node ${node} (${url}), mode ${values.mode}, steps ${steps.join(', ')}, settle ${settleMs / 1000} s`);
  try {
    await declareExchange();
    rows.push(await sample(0));
    const baseConnections = rows[0]?.connections ?? 0;
    for (const target of steps) {
      const t0 = performance.now();
      // 20 agents connect at a time (a fleet of VMs booting), each with its own connection.
      while (running.length < target) {
        const batch = Array.from({ length: Math.min(20, target - running.length) }, (_, i) => `${type}-${running.length + i}`);
        const started = await Promise.all(
          batch.map((hostname) => (values.mode === 'process' ? startProcess(root, type, hostname) : startInproc(root, type, hostname))),
        );
        running.push(...started);
      }
      await waitForConnections(baseConnections + target);
      console.error(`${target} agents up in ${((performance.now() - t0) / 1000).toFixed(1)} s; settling ${settleMs / 1000} s`);
      rows.push(await sample(target));
      printTable(rows);
    }
  } finally {
    await Promise.all(running.splice(0).map((r) => r.close().catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
  }
  const at = new Date().toISOString();
  const outDir = join(import.meta.dirname, '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `broker-per-agent-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at, node, url: url.replace(/\/\/[^@]*@/, '//***@'), mode: values.mode, rows }, null, 2)}\n`);
  console.error(`wrote ${file}`);
}

await main();
