// Hostile input, fast version for the normal suite (the soak suite sends ≥ 10,000 per target):
// mutated and random bodies to a VNFM's command queue and to a real agent's actions queue over
// RabbitMQ; every message with reply_to answered, no crash, no memory growth after the warm-up.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EXCHANGE } from '@vnfkit/protocol';
import { afterAll, expect, it } from 'vitest';
import { privateVhost, uniqueName } from '../helpers/broker.js';
import { describeFuzz, fuzzAgent, fuzzVnfm, growthAfterWarmup, hostileBodies } from './harness.js';

const vhost = privateVhost('fuzz');
afterAll(() => vhost.remove());
const PER_TARGET = 1_000;
/** Heap growth (after a full GC) the in-process VNFM may show after the warm-up batch. */
const VNFM_HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;
/** RSS growth the agent may show after the warm-up batch (its heap is also capped, see harness). */
const AGENT_RSS_GROWTH_LIMIT = 32 * 1024 * 1024;
/** Absolute RSS the agent (run from TypeScript source through tsx) may reach. */
const AGENT_RSS_LIMIT = 256 * 1024 * 1024;

const vnfmType = (): string => uniqueName('fuzz').replace(/-/g, '');

it(`answers all ${PER_TARGET} hostile commands on a VNFM's queue without crashing or growing`, async () => {
  const outcome = await fuzzVnfm({ url: vhost.url, name: vnfmType(), bodies: hostileBodies(PER_TARGET, 42) });
  console.log(describeFuzz('VNFM', outcome));
  expect(outcome.failed.slice(0, 3)).toEqual([]);
  expect(outcome.answered).toBe(PER_TARGET);
  expect(outcome.state).toBe('running');
  expect(growthAfterWarmup(outcome.samples)).toBeLessThan(VNFM_HEAP_GROWTH_LIMIT);
}, 180_000);

it("answers a 32 MiB hostile command on a VNFM's queue with ERROR and keeps running", async () => {
  // Below the default maxCommandBytes (64 MiB): decoded whole, answered with ERROR, released (the limit itself: test/vnfm/scenarios.ts).
  const type = vnfmType();
  let answer = '';
  const outcome = await fuzzVnfm(
    { url: vhost.url, name: type, bodies: hostileBodies(100, 3) },
    {
      after: async (nfvo) => {
        const big = JSON.stringify({ action: 'INSTANTIATE', vnfd: 'A'.repeat(32 * 1024 * 1024), extension: {}, keys: [] });
        answer = (
          await nfvo.request(EXCHANGE, type, big, { timeoutMs: 60_000, waitedFor: 'the answer to a 32 MiB command' })
        ).body.toString('utf8');
      },
    },
  );
  expect(outcome.answered).toBe(100);
  expect(JSON.parse(answer)).toMatchObject({ action: 'ERROR' });
  expect(outcome.state).toBe('running');
}, 120_000);

it('the memory bound is meaningful: a VNFM that leaks ~64 KiB per undecodable command fails it', async () => {
  const kept: { line: string; pad: number[] }[] = [];
  // A log destination that never lets go of what it was given: the kind of leak the bound must catch.
  const leaky = new Writable({
    write(chunk: Buffer, _encoding, done) {
      kept.push({ line: chunk.toString('utf8'), pad: new Array<number>(8192).fill(kept.length) });
      done();
    },
  });
  const outcome = await fuzzVnfm(
    { url: vhost.url, name: vnfmType(), bodies: hostileBodies(PER_TARGET, 42) },
    { logger: pino({ level: 'error' }, leaky) },
  );
  console.log(describeFuzz('leaky VNFM', outcome), `(${kept.length} log lines kept)`);
  expect(outcome.answered).toBe(PER_TARGET);
  expect(kept.length).toBeGreaterThan(PER_TARGET / 5);
  expect(growthAfterWarmup(outcome.samples)).toBeGreaterThanOrEqual(VNFM_HEAP_GROWTH_LIMIT);
}, 180_000);

it(`a real agent answers all ${PER_TARGET} hostile commands, keeps running and does not grow`, async () => {
  const outcome = await fuzzAgent({ url: vhost.url, name: uniqueName('fuzzems').replace(/-/g, ''), bodies: hostileBodies(PER_TARGET, 7) });
  console.log(describeFuzz('agent', outcome));
  expect(outcome.failed.slice(0, 3)).toEqual([]);
  expect(outcome.answered).toBe(PER_TARGET);
  expect(outcome.exitCode).toBeNull();
  expect(outcome.signal).toBeNull();
  expect(growthAfterWarmup(outcome.samples)).toBeLessThan(AGENT_RSS_GROWTH_LIMIT);
  expect(Math.max(...outcome.samples)).toBeLessThan(AGENT_RSS_LIMIT);
}, 240_000);
