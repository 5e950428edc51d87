// Hostile input: thousands of mutated and random bodies to a VNFM's command queue and to a real agent's
// actions queue over RabbitMQ. Every message carrying reply_to must be answered, nothing may crash,
// and memory must stay bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { EXCHANGE, emsActionsQueue } from '@vnfkit/protocol';
import { afterAll, expect, it } from 'vitest';
import { EmsClient } from '../../src/ems/ems-client.js';
import { createAmqpTransport } from '../../src/transport/amqp.js';
import type { Transport } from '../../src/transport/transport.js';
import { privateVhost, uniqueName } from '../helpers/broker.js';
import { NfvoPeer } from '../helpers/nfvo-peer.js';
import { TestVnfm } from '../vnfm/scenarios.js';

const vhost = privateVhost('fuzz');
afterAll(() => vhost.remove());
const PER_TARGET = 5_000;

const seeds: Record<string, unknown>[] = [
  { action: 'INSTANTIATE', vnfd: { name: 'x', vdu: [{ vnfc: [{}] }] }, extension: { 'nsr-id': 'n' }, keys: [] },
  { action: 'MODIFY', vnfr: { name: 'x', id: 'i', vdu: [] }, vnfrd: { target: 'x' } },
  { action: 'START', virtualNetworkFunctionRecord: { name: 'x', id: 'i' } },
  { action: 'SCALE_IN', virtualNetworkFunctionRecord: { name: 'x' }, vnfcInstance: { hostname: 'h' } },
  { action: 'HEAL', virtualNetworkFunctionRecord: { name: 'x' }, cause: 'c' },
  { action: 'LOG_REQUEST', vnfrName: 'x', hostname: 'h' },
  { action: 'EXECUTE', payload: 'nothing.sh', env: { A: '1' } },
  { action: 'SAVE_SCRIPTS', name: 'f.sh', payload: 'ZWNobwo=', 'script-path': '/opt/openbaton/scripts' },
  { action: 'SAVE_VNFR_DEPENDENCY', payload: '{"target":"x"}' },
  { action: 'SCRIPTS_UPDATE', name: '../../etc/passwd', payload: 'eA==' },
];

/** Mutations: drop/replace fields with hostile values, truncate, or plain random bytes. */
const hostile = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }), fc.object({ maxDepth: 2 }), fc.constant('A'.repeat(70_000)));
const body = fc.oneof(
  fc.tuple(fc.constantFrom(...seeds), fc.string({ maxLength: 20 }), hostile).map(([seed, key, value]) => JSON.stringify({ ...seed, [Object.keys(seed)[Math.abs(key.length) % Object.keys(seed).length] ?? 'action']: value })),
  fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => JSON.stringify(seed).slice(0, cut % 60)),
  fc.constantFrom(...seeds).map((seed) => JSON.stringify(seed)),
  fc.uint8Array({ maxLength: 200 }),
  fc.json(),
);

async function blast(transport: Transport, routingKey: string, bodies: (string | Uint8Array)[]): Promise<{ answered: number; failed: string[] }> {
  let answered = 0;
  const failed: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < bodies.length) {
      const b = bodies[next++] ?? '';
      try {
        await transport.request(EXCHANGE, routingKey, b, { timeoutMs: 15_000, waitedFor: 'a fuzz reply' });
        answered += 1;
      } catch (error) {
        failed.push(`${(error as Error).message} for ${Buffer.from(b).toString('utf8').slice(0, 120)}`);
      }
    }
  }));
  return { answered, failed };
}

it(`answers all ${PER_TARGET} hostile commands on a VNFM's queue without crashing`, async () => {
  const type = uniqueName('fuzz').replace(/-/g, '');
  const nfvo = await createAmqpTransport({ url: vhost.url });
  const peer = new NfvoPeer(nfvo);
  await peer.start();
  const vnfm = new TestVnfm({ type, amqpUrl: vhost.url, bootstrapCredentials: { username: 'guest', password: 'guest' }, grantTimeoutMs: 2_000, allocateTimeoutMs: 2_000, concurrency: 32 });
  await vnfm.connect();
  try {
    const bodies = fc.sample(body, { numRuns: PER_TARGET, seed: 42 });
    const heapBefore = process.memoryUsage().heapUsed;
    const { answered, failed } = await blast(nfvo, type, bodies);
    expect(failed.slice(0, 3)).toEqual([]);
    expect(answered).toBe(PER_TARGET);
    expect(vnfm.state).toBe('running');
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  } finally {
    await vnfm.close();
    await nfvo.close();
  }
}, 180_000);

it(`a real agent answers all ${PER_TARGET} hostile commands and keeps running`, async () => {
  const endpoint = uniqueName('fuzzems').replace(/-/g, '');
  const hostname = `${endpoint}-1`;
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-fuzz-'));
  const transport = await createAmqpTransport({ url: vhost.url });
  const ems = new EmsClient({ transport, endpoint, helloTimeoutMs: 20_000 });
  await ems.start();
  const agentDir = dirname(createRequire(import.meta.url).resolve('@vnfkit/ems-agent/package.json'));
  const agent: ChildProcess = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src/cli.ts')], {
    env: { ...process.env, VNFKIT_EMS_AMQP_URL: vhost.url, VNFKIT_EMS_HOSTNAME: hostname, VNFKIT_EMS_TYPE: endpoint, VNFKIT_EMS_SCRIPTS_DIR: join(dir, 'scripts'), VNFKIT_EMS_STATE_DIR: join(dir, 'state'), VNFKIT_EMS_LOG_LEVEL: 'fatal', VNFKIT_EMS_GIT_TIMEOUT: '5' },
    stdio: 'ignore',
  });
  try {
    await ems.waitForAgent(hostname);
    const bodies = fc.sample(body, { numRuns: PER_TARGET, seed: 7 });
    const { answered, failed } = await blast(transport, emsActionsQueue(hostname), bodies);
    expect(failed.slice(0, 3)).toEqual([]);
    expect(answered).toBe(PER_TARGET);
    expect(agent.exitCode).toBeNull();
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${agent.pid ?? 0}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    expect(rssMb).toBeLessThan(400);
  } finally {
    agent.kill('SIGKILL');
    await ems.stop();
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 240_000);
