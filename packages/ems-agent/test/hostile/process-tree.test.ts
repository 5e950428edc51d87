// A bounded fork bomb (156 processes) under the command timeout on a real agent over RabbitMQ.
import { describe, expect, it } from 'vitest';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { runTreeUnderTimeout, treeSize } from './process-tree.js';

describe.skipIf(SKIP_BROKER_TESTS)('a process tree under the command timeout (real agent, real broker)', () => {
  it('kills a 156-process tree with SIGTERM-ignoring and setsid children; nothing is left in /proc', async () => {
    const figures = await runTreeUnderTimeout(3, 5, 6);
    expect(figures.processes).toBe(treeSize(3, 5));
    console.log(
      `process tree: ${figures.processes} processes (${figures.escapees} setsid session leaders), reply after ${figures.replyMs} ms`,
    );
  }, 90_000);
});
