// A 128 MiB output flood on a real agent over RabbitMQ (the soak suite floods 1 GiB).
import { describe, it } from 'vitest';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { describeFlood, floodRealAgent } from './output-flood.js';

describe.skipIf(SKIP_BROKER_TESTS)('an output flood on a real agent', () => {
  it('caps 128 MiB of stdout at max_output_bytes with the truncation marker, bounded RSS, and keeps serving', async () => {
    console.log(describeFlood(await floodRealAgent(128 * 1024 * 1024)));
  }, 90_000);
});
