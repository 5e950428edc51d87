// Soak: a 1 GiB output flood (512 MiB at VNFKIT_SOAK_SCALE=ci) on a real agent over RabbitMQ.
import { describe, expect, it } from 'vitest';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { bySoakScale } from '../helpers/soak.js';
import { describeFlood, floodRealAgent } from '../hostile/output-flood.js';

const BYTES = bySoakScale({ full: 1024 * 1024 * 1024, ci: 512 * 1024 * 1024 });

describe.skipIf(SKIP_BROKER_TESTS)('soak: output flood on a real agent', () => {
  it(`caps a ${BYTES / 1024 / 1024} MiB flood with the truncation marker, bounded RSS, and keeps serving`, async () => {
    const figures = await floodRealAgent(BYTES);
    expect(figures.bytes).toBe(BYTES);
    console.log(describeFlood(figures));
  }, 900_000);
});
