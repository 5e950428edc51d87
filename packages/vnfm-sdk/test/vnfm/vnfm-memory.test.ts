import { afterEach, describe } from 'vitest';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';
import { vnfmScenarios } from './scenarios.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe('AbstractVnfm on the memory transport', () => {
  let broker = new MemoryBroker();
  let n = 0;
  vnfmScenarios({
    type: () => {
      broker = new MemoryBroker();
      return `memtype${++n}`;
    },
    nfvoTransport: async () => {
      const t = createMemoryTransport(broker);
      cleanups.push(() => t.close());
      return t;
    },
    vnfmTransport: async () => createMemoryTransport(broker),
    cleanup: (fn) => cleanups.push(fn),
    dropVnfmConnections: () => broker.dropConnections(),
  });
});
