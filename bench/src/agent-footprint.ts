// Benchmark 3: agent footprint — idle RSS of one vnfkit-ems (floor: a bare `node`) and start-to-hello, and the idle
// RSS on the Node the agent's .deb and tarball carry.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EmsClient, createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { agentBuilt, packagedNodeMajor, startAgent, stopAgent } from './agents.js';
import { rssMb } from './measure/process.js';
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
    rss.push(await rssMb(agent.pid));
    await stopAgent(agent);
    // Floor: a bare `node -e` that says it is up and sleeps; its start-up time is the floor of start-to-hello.
    const t1 = performance.now();
    const bare = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setTimeout(() => {}, 3000)'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((r) => bare.stdout.once('data', r));
    nodeStartup.push(performance.now() - t1);
    await new Promise((r) => setTimeout(r, 300));
    nodeBaseline.push(await rssMb(bare.pid));
    bare.kill();
  }
  const packaged = packagedRuntime();
  const packagedRss: number[] = [];
  for (let i = 0; packaged !== undefined && i < 3; i++) {
    const hostname = `${type}-p${i}`;
    const agent = startAgent(root, { hostname, type, node: packaged.node });
    await ems.waitForAgent(hostname);
    await new Promise((r) => setTimeout(r, 1000));
    packagedRss.push(await rssMb(agent.pid));
    await stopAgent(agent);
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
  if (packaged !== undefined) {
    rows.push({
      benchmark: 'Agent footprint',
      figure: `idle RSS on Node ${packaged.version}, the runtime of the agent's .deb and tarball`,
      value: round(percentile(packagedRss, 50), 1),
      unit: 'MB',
      target: '≤ 60 MB',
    });
  }
  await ems.stop();
  await transport.close();
}

/**
 * The Node binary of the packaged agent's major, from `scripts/node-runtime` (the npm registry, cached in `.cache/`);
 * none (with a note) when it cannot be had, e.g. offline, or when the agent is not built.
 */
function packagedRuntime(): { node: string; version: string } | undefined {
  const major = packagedNodeMajor();
  try {
    if (!existsSync(agentBuilt)) throw new Error(`${agentBuilt} is missing: run pnpm build`);
    const root = join(agentBuilt, '..', '..', '..', '..');
    const bin = execFileSync(join(root, 'scripts', 'node-runtime'), [major], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    const node = join(bin, 'node');
    return { node, version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '') };
  } catch (error) {
    console.error(`note: agent footprint: no idle RSS on Node ${major} (the packaged runtime): ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}
