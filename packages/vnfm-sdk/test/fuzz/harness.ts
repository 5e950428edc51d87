// Hostile input shared by the fuzz test (normal suite, fast) and the fuzz soak test (≥ 10,000 bodies
// per target at full scale): mutated and random bodies to a VNFM's command queue and to a real
// agent's actions queue over RabbitMQ. Every message carrying reply_to must be answered, nothing
// may crash, and memory must stay bounded — measured after a warm-up so that a leak shows as growth.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Logger } from 'pino';
import { EXCHANGE, emsActionsQueue } from '@vnfkit/protocol';
import { EmsClient } from '../../src/ems/ems-client.js';
import { createAmqpTransport } from '@vnfkit/transport';
import type { Transport } from '@vnfkit/transport';
import { NfvoPeer } from '../helpers/nfvo-peer.js';
import { TestVnfm } from '../vnfm/scenarios.js';

const seeds: Record<string, unknown>[] = [
  { action: 'INSTANTIATE', vnfd: { name: 'x', vdu: [{ vnfc: [{}] }] }, extension: { 'nsr-id': 'n' }, keys: [] },
  { action: 'MODIFY', vnfr: { name: 'x', id: 'i', vdu: [] }, vnfrd: { target: 'x' } },
  { action: 'START', virtualNetworkFunctionRecord: { name: 'x', id: 'i' } },
  { action: 'SCALE_IN', virtualNetworkFunctionRecord: { name: 'x' }, vnfcInstance: { hostname: 'h' } },
  { action: 'HEAL', virtualNetworkFunctionRecord: { name: 'x' }, cause: 'c' },
  { action: 'LOG_REQUEST', vnfrName: 'x', hostname: 'h' },
  { action: 'EXECUTE', payload: 'nothing.sh', env: { A: '1' } },
  { action: 'EXECUTE', payload: '../../../bin/sh -c id', env: { 'A\nB': 'x', 'C=D': 'y', E: 'line1\nline2=3' } },
  { action: 'SAVE_SCRIPTS', name: 'f.sh', payload: 'ZWNobwo=', 'script-path': '/opt/openbaton/scripts' },
  { action: 'SAVE_VNFR_DEPENDENCY', payload: '{"target":"x"}' },
  { action: 'SCRIPTS_UPDATE', name: '../../etc/passwd', payload: 'eA==' },
];

/** Mutations: drop/replace fields with hostile values, truncate, or plain random bytes. */
const hostile = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
  fc.constant('A'.repeat(70_000)),
);
const body = fc.oneof(
  fc
    .tuple(fc.constantFrom(...seeds), fc.string({ maxLength: 20 }), hostile)
    .map(([seed, key, value]) =>
      JSON.stringify({ ...seed, [Object.keys(seed)[Math.abs(key.length) % Object.keys(seed).length] ?? 'action']: value }),
    ),
  fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => JSON.stringify(seed).slice(0, cut % 60)),
  fc.constantFrom(...seeds).map((seed) => JSON.stringify(seed)),
  fc.uint8Array({ maxLength: 200 }),
  fc.json(),
);

/** `count` hostile bodies, reproducible from `seed`. */
export function hostileBodies(count: number, seed: number): (string | Uint8Array)[] {
  return fc.sample(body, { numRuns: count, seed });
}

/** Outcome of a fuzz run against one target. */
export interface FuzzOutcome {
  sent: number;
  answered: number;
  failed: string[];
  /** Memory of the target after each batch (bytes): heap after a full GC in-process, RSS for a child process. */
  samples: number[];
  durationMs: number;
}

/** Sends `bodies` as requests with reply_to, 32 at a time; counts the answers. */
export async function blast(
  transport: Transport,
  routingKey: string,
  bodies: readonly (string | Uint8Array)[],
): Promise<{ answered: number; failed: string[] }> {
  let answered = 0;
  const failed: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++] ?? '';
        try {
          await transport.request(EXCHANGE, routingKey, b, { timeoutMs: 15_000, waitedFor: 'a fuzz reply' });
          answered += 1;
        } catch (error) {
          failed.push(`${(error as Error).message} for ${Buffer.from(b).toString('utf8').slice(0, 120)}`);
        }
      }
    }),
  );
  return { answered, failed };
}

/** Sends the bodies in `batches` equal parts, sampling memory after each part. */
/** What {@link blastInBatches} sends, where, and how memory is sampled. */
interface BatchPlan {
  transport: Transport;
  routingKey: string;
  bodies: readonly (string | Uint8Array)[];
  batches: number;
  sample: () => Promise<number>;
}

async function blastInBatches({ transport, routingKey, bodies, batches, sample }: BatchPlan): Promise<FuzzOutcome> {
  const started = Date.now();
  const size = Math.ceil(bodies.length / batches);
  let answered = 0;
  const failed: string[] = [];
  const samples: number[] = [];
  for (let from = 0; from < bodies.length; from += size) {
    const part = await blast(transport, routingKey, bodies.slice(from, from + size));
    answered += part.answered;
    failed.push(...part.failed);
    samples.push(await sample());
  }
  return { sent: bodies.length, answered, failed, samples, durationMs: Date.now() - started };
}

/**
 * Memory growth after the warm-up: the last sample minus the lowest sample once the first 40 % of
 * the batches are done (they load code and fill pools, caches and the heap's young generation).
 * A leak keeps growing with every batch; a bounded process levels off.
 */
export function growthAfterWarmup(samples: readonly number[]): number {
  if (samples.length < 4) throw new Error(`need at least 4 memory samples, got ${samples.length}`);
  const warmup = Math.max(1, Math.floor(samples.length * 0.4));
  const settled = samples.slice(warmup, -1);
  return (samples.at(-1) ?? 0) - Math.min(...settled);
}

let gcFunction: (() => void) | undefined;
/** A full, synchronous garbage collection of this process (enables --expose-gc at run time). */
export function fullGc(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  gcFunction();
}

async function heapAfterGc(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  return process.memoryUsage().heapUsed;
}

/** Fuzzes a VNFM running in this process (its heap is measured after a full GC per batch). */
/** Target of {@link fuzzVnfm} / {@link fuzzAgent}: broker URL, VNFM type (or agent endpoint), and bodies. */
export interface FuzzTarget {
  url: string;
  name: string;
  bodies: readonly (string | Uint8Array)[];
  /** Memory samples are taken after each of this many equal parts. @default 5 */
  batches?: number;
}

export async function fuzzVnfm(
  { url, name: type, bodies, batches }: FuzzTarget,
  options: { logger?: Logger; after?: (nfvo: Transport) => Promise<void> } = {},
): Promise<FuzzOutcome & { state: string }> {
  const nfvo = await createAmqpTransport({ url });
  const peer = new NfvoPeer(nfvo);
  await peer.start();
  const vnfm = new TestVnfm({
    type,
    amqpUrl: url,
    bootstrapCredentials: { username: 'guest', password: 'guest' },
    grantTimeoutMs: 2_000,
    allocateTimeoutMs: 2_000,
    concurrency: 32,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await vnfm.connect();
  try {
    const outcome = await blastInBatches({ transport: nfvo, routingKey: type, bodies, batches: batches ?? 5, sample: heapAfterGc });
    await options.after?.(nfvo);
    return { ...outcome, state: vnfm.state };
  } finally {
    await vnfm.close();
    await nfvo.close();
  }
}

async function rssOf(pid: number): Promise<number> {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no VmRSS for pid ${pid}`);
  return kib * 1024;
}

/**
 * Heap cap of the fuzzed agent (`--max-old-space-size`): a leak makes it run out of heap and crash,
 * which the test sees as an exit and unanswered messages. RSS alone is a weak signal for a child
 * process: V8 grows its heap lazily toward its limit, so RSS rises for a while even without a leak.
 */
export const AGENT_MAX_OLD_SPACE_MB = 64;

/** Fuzzes a real `vnfkit-ems` process (run from source, heap capped) over RabbitMQ; RSS sampled per batch. */
export async function fuzzAgent({
  url,
  name: endpoint,
  bodies,
  batches,
}: FuzzTarget): Promise<FuzzOutcome & { exitCode: number | null; signal: string | null }> {
  const hostname = `${endpoint}-1`;
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-fuzz-'));
  const transport = await createAmqpTransport({ url });
  const ems = new EmsClient({ transport, endpoint, helloTimeoutMs: 20_000 });
  await ems.start();
  const agentDir = dirname(createRequire(import.meta.url).resolve('@vnfkit/ems-agent/package.json'));
  const agent: ChildProcess = spawn(
    process.execPath,
    [`--max-old-space-size=${AGENT_MAX_OLD_SPACE_MB}`, '--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src/cli.ts')],
    {
      env: {
        ...process.env,
        VNFKIT_EMS_AMQP_URL: url,
        VNFKIT_EMS_HOSTNAME: hostname,
        VNFKIT_EMS_TYPE: endpoint,
        VNFKIT_EMS_SCRIPTS_DIR: join(dir, 'scripts'),
        VNFKIT_EMS_STATE_DIR: join(dir, 'state'),
        VNFKIT_EMS_LOG_LEVEL: 'fatal',
        VNFKIT_EMS_GIT_TIMEOUT: '5',
      },
      stdio: 'ignore',
    },
  );
  try {
    await ems.waitForAgent(hostname);
    const outcome = await blastInBatches({
      transport,
      routingKey: emsActionsQueue(hostname),
      bodies,
      batches: batches ?? 5,
      sample: () => rssOf(agent.pid ?? 0),
    });
    return { ...outcome, exitCode: agent.exitCode, signal: agent.signalCode };
  } finally {
    agent.kill('SIGKILL');
    await ems.stop();
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One line for the test log. */
export function describeFuzz(target: string, outcome: FuzzOutcome): string {
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  return `fuzz ${target}: ${outcome.answered}/${outcome.sent} answered in ${outcome.durationMs} ms; memory per batch ${outcome.samples.map(mib).join(' → ')} MiB; growth after warm-up ${mib(growthAfterWarmup(outcome.samples))} MiB`;
}
