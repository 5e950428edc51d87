// Soak: ≥ 10,000 mutated and random bodies to a VNFM's command queue and 10,000 to a real agent's
// actions queue over RabbitMQ (3,000 each at VNFKIT_SOAK_SCALE=ci). Every message with reply_to is
// answered, nothing crashes (the agent runs with a capped heap), and memory does not grow after the
// warm-up batch.
import { afterAll, expect, it } from 'vitest';
import { privateVhost, uniqueName } from '../helpers/broker.js';
import { describeFuzz, fuzzAgent, fuzzVnfm, growthAfterWarmup, hostileBodies } from './harness.js';

const scale = process.env['VNFKIT_SOAK_SCALE'] ?? 'full';
if (scale !== 'full' && scale !== 'ci') throw new Error(`VNFKIT_SOAK_SCALE must be "full" or "ci", not ${JSON.stringify(scale)}`);
const PER_TARGET = scale === 'full' ? 10_000 : 3_000;
const BATCHES = 10;
const vhost = privateVhost('fuzzsoak');
afterAll(() => vhost.remove());

it(`answers all ${PER_TARGET} hostile commands on a VNFM's queue without crashing or growing`, async () => {
  const outcome = await fuzzVnfm({
    url: vhost.url,
    name: uniqueName('fuzzsoak').replace(/-/g, ''),
    bodies: hostileBodies(PER_TARGET, 4242),
    batches: BATCHES,
  });
  console.log(describeFuzz('VNFM', outcome));
  expect(outcome.failed.slice(0, 3)).toEqual([]);
  expect(outcome.answered).toBe(PER_TARGET);
  expect(outcome.state).toBe('running');
  expect(growthAfterWarmup(outcome.samples)).toBeLessThan(8 * 1024 * 1024);
}, 900_000);

it(`a real agent answers all ${PER_TARGET} hostile commands, keeps running and does not grow`, async () => {
  const outcome = await fuzzAgent({
    url: vhost.url,
    name: uniqueName('fuzzsoakems').replace(/-/g, ''),
    bodies: hostileBodies(PER_TARGET, 77),
    batches: BATCHES,
  });
  console.log(describeFuzz('agent', outcome));
  expect(outcome.failed.slice(0, 3)).toEqual([]);
  expect(outcome.answered).toBe(PER_TARGET);
  expect(outcome.exitCode).toBeNull();
  expect(outcome.signal).toBeNull();
  // The agent's heap is capped (harness: AGENT_MAX_OLD_SPACE_MB), so a leak crashes it; RSS levels off.
  expect(growthAfterWarmup(outcome.samples)).toBeLessThan(32 * 1024 * 1024);
  expect(Math.max(...outcome.samples)).toBeLessThan(256 * 1024 * 1024);
}, 900_000);
