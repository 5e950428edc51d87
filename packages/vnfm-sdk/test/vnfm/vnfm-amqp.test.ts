import { afterAll, afterEach, describe } from 'vitest';
import { createAmqpTransport } from '@vnfkit/transport';
import { closeConnectionsNamed, privateVhost, uniqueName } from '../helpers/broker.js';
import { vnfmScenarios } from './scenarios.js';

const vhost = privateVhost('vnfm');
const AMQP_URL = vhost.url;
afterAll(() => vhost.remove());
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

// Each test runs its own NFVO peer on this file's private vhost; the NFVO queues have fixed names, so tests run one at a time.
describe.sequential('AbstractVnfm on RabbitMQ', () => {
  let type = '';
  vnfmScenarios({
    type: () => (type = uniqueName('vnfm').replace(/-/g, '')),
    nfvoTransport: async () => {
      const t = await createAmqpTransport({ url: AMQP_URL, connectionName: `${type}-nfvo` });
      cleanups.push(() => t.close());
      return t;
    },
    vnfmTransport: () =>
      createAmqpTransport({ url: AMQP_URL, connectionName: `${type}-vnfm`, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } }),
    cleanup: (fn) => cleanups.push(fn),
    dropVnfmConnections: (t) => {
      closeConnectionsNamed(`${t}-vnfm`);
    },
  });
});
