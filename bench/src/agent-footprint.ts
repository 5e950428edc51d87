// Benchmark 3: agent footprint — idle RSS of one vnfkit-ems (floor: a bare `node`) and start-to-hello.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { startAgent, stopAgent } from './agents.js';
import { AMQP_URL, percentile, round, type Row } from './table.js';

export async function agentFootprint(root: string, rows: Row[]): Promise<void> {
  const type = `bench${randomBytes(3).toString('hex')}`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL });
  const ems = new EmsClient({ transport, endpoint: type, helloTimeoutMs: 30_000 });
  await ems.start();
  const startup: number[] = [];
  const rss: number[] = [];
  const nodeBaseline: number[] = [];
  const nodeStartup: number[] = [];
  for (let i = 0; i < 5; i++) {
    const hostname = `${type}-f${i}`;
    const t0 = performance.now();
    const agent = startAgent(root, { hostname, type });
    await ems.waitForAgent(hostname);
    startup.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1000)); // let the idle heap settle before reading RSS
    const status = await readFile(`/proc/${agent.pid ?? 0}/status`, 'utf8');
    rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    await stopAgent(agent);
    // Floor: a bare `node -e` that says it is up and sleeps; its start-up time is the floor of start-to-hello.
    const t1 = performance.now();
    const bare = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setTimeout(() => {}, 3000)'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((r) => bare.stdout.once('data', r));
    nodeStartup.push(performance.now() - t1);
    await new Promise((r) => setTimeout(r, 300));
    const bareStatus = await readFile(`/proc/${bare.pid ?? 0}/status`, 'utf8');
    nodeBaseline.push(Number(/VmRSS:\s+(\d+)/.exec(bareStatus)?.[1] ?? 0) / 1024);
    bare.kill();
  }
  const floorRss = percentile(nodeBaseline, 50);
  rows.push(
    {
      benchmark: 'Agent footprint',
      figure: 'idle RSS',
      value: round(percentile(rss, 50), 1),
      unit: 'MB',
      floor: round(floorRss, 1),
      ratio: round(percentile(rss, 50) / floorRss, 2),
      target: '≤ 60 MB',
    },
    {
      benchmark: 'Agent footprint',
      figure: 'start-to-hello (floor: start of a bare node)',
      value: round(percentile(startup, 50), 1),
      unit: 'ms',
      floor: round(percentile(nodeStartup, 50), 1),
      ratio: round(percentile(startup, 50) / percentile(nodeStartup, 50), 2),
      target: '≤ 300 ms',
    },
  );
  await ems.stop();
  await transport.close();
}
