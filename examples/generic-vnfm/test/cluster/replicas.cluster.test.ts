// Beyond one machine (issue #19): a 3-node RabbitMQ cluster (scripts/cluster), Generic VNFM replicas of one type
// (VNFKIT_REPLICATED: quorum endpoint queue with a single active consumer, journal and resume points on streams),
// real agent processes (LocalVim) and the NFVO simulator, each client connected through the URL list starting at
// a different node. Size from VNFKIT_CLUSTER_SCALE: `full` (default) deploys 20 VNFRs, `ci` 6.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { LocalVim, NfvoSimulator, type MessageEvent } from '@vnfkit/vnfm-sdk/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, scripts } from '../e2e/harness.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const cli = join(here, '..', '..', 'src', 'cli.ts');
const CLUSTER = join(root, 'scripts', 'cluster');
const PORTS = [5701, 5702, 5703];
const SIZE = process.env['VNFKIT_CLUSTER_SCALE'] === 'ci' ? 6 : 20;

/** The cluster's URLs, starting at node `first` (1-based): where a client connects first. */
const urlsFrom = (first: number): string => [0, 1, 2].map((i) => `amqp://guest:guest@127.0.0.1:${PORTS[(first - 1 + i) % 3]}`).join(',');

async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run(CLUSTER, args, { timeout: 240_000 });
  return stdout.trim();
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records its run, then waits until the test opens the gate. */
const gatedInstall = (gate: string): string =>
  `#!/bin/bash\necho install.sh >> "$SCRIPTS_PATH/runs.log"\nwhile [ ! -e ${gate} ]; do sleep 0.1; done\n`;

interface Rig {
  type: string;
  work: string;
  vim: LocalVim;
  sim: NfvoSimulator;
  grants: string[];
  allocations: string[];
  /** Starts a Generic VNFM replica whose URL list begins at node `firstNode`. */
  startReplica: (name: string, firstNode: number, extraEnv?: Record<string, string>) => ChildProcess;
  /** The VMs' runs.log lines (none before the VM exists). */
  runsOf: (vnfr: string) => Promise<string[]>;
}

/** The simulator on node 3 (a VNFR's first VM is `<vnfr>-1`), the replicas on the nodes the test picks. */
async function withRig(prefix: string, body: (rig: Rig) => Promise<void>): Promise<void> {
  const type = `${prefix}${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), `vnfkit-${prefix}-`));
  const vim = new LocalVim();
  const children: ChildProcess[] = [];
  let transport: Transport | undefined;
  let sim: NfvoSimulator | undefined;
  const startReplica = (name: string, firstNode: number, extraEnv: Record<string, string> = {}): ChildProcess => {
    const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', cli], {
      cwd: root,
      stdio: ['ignore', process.env['DEBUG_VNFM'] ? 'inherit' : 'ignore', 'inherit'],
      env: {
        ...process.env,
        AMQP_URL: urlsFrom(firstNode),
        VNFM_TYPE: type,
        VNFM_ENDPOINT: type,
        VNFKIT_MANAGER_USERNAME: 'guest',
        VNFKIT_MANAGER_PASSWORD: 'guest',
        VNFKIT_REPLICATED: '1',
        VNFKIT_ENDPOINT_QUEUE_TYPE: 'quorum',
        // Each replica its own directories: what they share is on the broker.
        VNFKIT_RESUME_DIR: join(work, name, 'resume'),
        VNFKIT_LOG_DIR: join(work, name, 'logs'),
        VNFKIT_LOG_LEVEL: process.env['DEBUG_VNFM'] ?? 'silent',
        VNFKIT_AGENT_START_TIMEOUT_S: '60',
        VNFKIT_AGENT_COMMAND_TIMEOUT_S: '120',
        ...extraEnv,
      },
    });
    children.push(child);
    return child;
  };
  try {
    transport = await createAmqpTransport({ url: urlsFrom(3), connectionName: `nfvo-sim-${type}` });
    const dbg = process.env['DEBUG_VNFM'] ? { logger: pino({ level: 'debug' }) } : {};
    sim = await NfvoSimulator.create({ transport, vim, brokerUrl: urlsFrom(3), commandTimeoutMs: 180_000, ...dbg });
    const grants: string[] = [];
    const allocations: string[] = [];
    sim.on('message', (e: MessageEvent) => {
      const name = String((e.body as { virtualNetworkFunctionRecord?: { name?: string } }).virtualNetworkFunctionRecord?.name);
      if (e.direction === 'from-vnfm' && e.action === 'GRANT_OPERATION') grants.push(name);
      if (e.direction === 'from-vnfm' && e.action === 'ALLOCATE_RESOURCES') allocations.push(name);
    });
    const runsOf = (vnfr: string): Promise<string[]> => runs(vim, `${vnfr}-1`).catch(() => []);
    await body({ type, work, vim, sim, grants, allocations, startReplica, runsOf });
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim?.close();
    await transport?.close();
    await vim.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('Generic VNFM replicas on a 3-node RabbitMQ cluster', () => {
  let runningBefore = false;
  beforeAll(async () => {
    runningBefore = await cluster('status').then(
      () => true,
      () => false,
    );
    await cluster('start');
  }, 300_000);
  afterAll(async () => {
    await cluster('start').catch(() => undefined); // any node a failed test left stopped
    if (!runningBefore) await cluster('stop');
  }, 300_000);

  it(`${SIZE} VNFRs: the active replica's node is stopped mid-deployment, then the active replica is killed — one GRANT per VNFR, each script once, every VNFR ACTIVE`, async () => {
    await withRig('replica', async ({ type, work, sim, grants, allocations, startReplica, runsOf }) => {
      const gate = join(work, 'gate');
      // A first: it is the active consumer of the endpoint queue; B stands by.
      const first = startReplica('a', 1);
      await sim.waitForVnfm(type, { timeoutMs: 60_000 });
      startReplica('b', 2);
      await pause(3_000);
      const names = Array.from({ length: SIZE }, (_, i) => `vnf${i}`);
      const nsrId = await sim.deploy(
        {
          name: 'ns',
          vnfd: names.map((name) => ({
            name,
            type: 't',
            endpoint: type,
            vdu: [{ name: 'v', vnfc: [{}] }],
            lifecycle_event: [
              { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
              { event: 'START', lifecycle_events: ['start.sh'] },
            ],
          })),
        },
        {
          packages: Object.fromEntries(
            names.map((name) => [name, { scripts: { ...scripts(['start.sh']), 'install.sh': gatedInstall(gate) } }]),
          ),
        },
      );

      // Mid-deployment — A granted and allocated the VNFRs it took (A runs 10 NFVO commands at once) and their
      // install scripts run — stop node 1, where A is connected. A reconnects to node 2 and goes on; RabbitMQ
      // makes B the active consumer and redelivers A's unanswered commands to it, which B leaves to A.
      const running = async (): Promise<number> => (await Promise.all(names.map(runsOf))).filter((r) => r.includes('install.sh')).length;
      await expect.poll(running, { timeout: 120_000, interval: 100 }).toBe(Math.min(SIZE, 10));
      await cluster('stop-node', '1');
      try {
        await pause(3_000);

        // Then kill A, the replica running those commands, while their scripts still run. B takes them over once A
        // has been gone for the takeover grace (10 s): it runs each INSTANTIATE again from its last journaled step
        // (`allocated`), and the agents answer the repeated commands (same correlation ids) from their records.
        await kill(first);
        await pause(1_000);
        writeFileSync(gate, '');

        await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 240_000 });
        expect(grants.sort()).toEqual([...names].sort());
        expect(allocations.sort()).toEqual([...names].sort());
        expect(sim.duplicateVnfrs(nsrId)).toEqual([]);
        for (const name of names) expect(await runsOf(name), name).toEqual(['install.sh', 'start.sh']);
      } finally {
        await cluster('start-node', '1');
      }
    });
  }, 600_000);

  it('a script failure recorded by one replica is resumed by the other after the first is killed', async () => {
    await withRig('resume', async ({ type, work, sim, startReplica, runsOf }) => {
      const first = startReplica('a', 1);
      await sim.waitForVnfm(type, { timeoutMs: 60_000 });
      startReplica('b', 2);
      await pause(3_000);
      // Fails until the test creates the file: its failure is recorded (by A) on the resume stream.
      const fixed = join(work, 'fixed');
      const flaky = `#!/bin/bash\necho configure.sh >> "$SCRIPTS_PATH/runs.log"\n[ -e ${fixed} ]\n`;
      const nsrId = await sim.deploy(
        {
          name: 'ns',
          vnfd: [
            {
              name: 'flaky',
              type: 't',
              endpoint: type,
              vdu: [{ name: 'v', vnfc: [{}] }],
              lifecycle_event: [
                { event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'configure.sh'] },
                { event: 'START', lifecycle_events: ['start.sh'] },
              ],
            },
          ],
        },
        { packages: { flaky: { scripts: { ...scripts(['install.sh', 'start.sh']), 'configure.sh': flaky } } } },
      );
      await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 120_000 });
      await kill(first);
      writeFileSync(fixed, '');
      // B (A's resume directory is not B's) finds the failure on the stream and resumes from configure.sh.
      await sim.resume(nsrId);
      await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
      expect(await runsOf('flaky')).toEqual(['install.sh', 'configure.sh', 'configure.sh', 'start.sh']);
    });
  }, 600_000);

  it('commands waiting in the quorum endpoint queue while the VNFM is down survive the stop of the queue leader node: none lost', async () => {
    await cluster('start'); // all three nodes, whatever an earlier test left
    await withRig('waiting', async ({ type, sim, grants, startReplica, runsOf }) => {
      const first = startReplica('a', 1);
      await sim.waitForVnfm(type, { timeoutMs: 60_000 });
      await kill(first);

      const names = Array.from({ length: Math.min(SIZE, 10) }, (_, i) => `q${i}`);
      const nsrId = await sim.deploy(
        {
          name: 'ns',
          vnfd: names.map((name) => ({
            name,
            type: 't',
            endpoint: type,
            vdu: [{ name: 'v', vnfc: [{}] }],
            lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
          })),
        },
        { packages: Object.fromEntries(names.map((name) => [name, { scripts: scripts(['install.sh']) }])) },
      );
      // Every INSTANTIATE waits in the endpoint queue (persistent, as the NFVO sends them).
      const queueRow = async (): Promise<string[]> => {
        const { stdout } = await run('rabbitmqctl', ['-q', '-n', 'c3@localhost', 'list_queues', 'name', 'messages', 'leader'], {
          timeout: 30_000,
        });
        return (
          stdout
            .split('\n')
            .map((line) => line.split('\t'))
            .find((cols) => cols[0] === type) ?? []
        );
      };
      await expect.poll(async () => Number((await queueRow())[1] ?? 0), { timeout: 30_000, interval: 200 }).toBe(names.length);
      // The VNFM on node 1 declared the queue, so its leader is there (client-local placement), away from the
      // simulator on node 3 (whose connection holds the reply addresses of the waiting commands).
      const leader = (await queueRow())[2] ?? '';
      expect(leader, `leader of ${type}`).toMatch(/^c1@/);
      await cluster('stop-node', '1');
      try {
        // A VNFM connected to a live node takes them all (its NFVO replies on a lasting reply queue this time).
        startReplica('b', 2, { VNFKIT_NFVO_REPLY_MODE: 'lasting-queue' });
        await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 120_000 });
        expect(grants.sort()).toEqual([...names].sort());
        for (const name of names) expect(await runsOf(name), name).toEqual(['install.sh']);
        // The lasting reply queues it keeps (NFVO side and EMS side) are quorum queues: they outlive a node.
        const { stdout } = await run('rabbitmqctl', ['-q', '-n', 'c2@localhost', 'list_queues', 'name', 'type'], { timeout: 30_000 });
        const replyQueues = stdout
          .split('\n')
          .map((line) => line.split('\t'))
          .filter(([name]) => name?.startsWith('vnfkit.reply.') && name.includes(type));
        expect(replyQueues.map(([, queueType]) => queueType)).toEqual(['quorum', 'quorum']);
      } finally {
        await cluster('start-node', '1');
      }
    });
  }, 600_000);
});
