// Soak: a larger fork bomb under the command timeout on a real agent over RabbitMQ
// (400 processes; 259 at VNFKIT_SOAK_SCALE=ci), nothing of it left in /proc afterwards.
import { describe, expect, it } from 'vitest';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { bySoakScale } from '../helpers/soak.js';
import { runTreeUnderTimeout, treeSize } from '../hostile/process-tree.js';

const FANOUT = bySoakScale({ full: 7, ci: 6 });

describe.skipIf(SKIP_BROKER_TESTS)('soak: process tree under the command timeout', () => {
  it(`kills a ${treeSize(3, FANOUT)}-process tree with SIGTERM-ignoring and setsid children; nothing is left`, async () => {
    const figures = await runTreeUnderTimeout(3, FANOUT, 15);
    expect(figures.processes).toBe(treeSize(3, FANOUT));
    console.log(
      `process tree: ${figures.processes} processes (${figures.escapees} setsid session leaders), reply after ${figures.replyMs} ms`,
    );
  }, 180_000);
});
