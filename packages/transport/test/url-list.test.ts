// A broker URL list (the nodes of a RabbitMQ cluster), with two TCP proxies in front of the one broker standing for
// two nodes: the transport connects to the first address that answers and, when that "node" goes away, moves to the
// next one, restoring its consumers there. The real 3-node cluster runs in `pnpm test:cluster`.
import { expect, it } from 'vitest';
import { createAmqpTransport, resolveAmqpOptions, splitUrls } from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { startTcpProxy } from '../../vnfm-sdk/test/helpers/tcp-proxy.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { nextEvent, waitFor } from '../../vnfm-sdk/test/helpers/wait.js';

it('reads a comma-separated URL list (or urls) and checks every entry', () => {
  expect(splitUrls(' amqp://a:1 , amqp://b:2,')).toEqual(['amqp://a:1', 'amqp://b:2']);
  expect(resolveAmqpOptions({ url: 'amqp://a:1,amqp://b:2' }).urls).toEqual(['amqp://a:1', 'amqp://b:2']);
  expect(resolveAmqpOptions({ urls: ['amqp://c:3'] }).url).toBe('amqp://c:3');
  expect(() => resolveAmqpOptions({ url: 'amqp://a:1,http://b' })).toThrow(/amqp:\/\/ or amqps:\/\//);
});

describeBroker('amqp transport over a URL list (real RabbitMQ behind two proxies)', () => {
  it('connects to the first address that answers and fails over to the next when its node goes away', async () => {
    const broker = new URL(AMQP_URL);
    const target = { host: broker.hostname, port: Number(broker.port || 5672) };
    const nodeA = await startTcpProxy(target);
    const nodeB = await startTcpProxy(target);
    teardown.add(() => nodeA.close(), 'proxy A');
    teardown.add(() => nodeB.close(), 'proxy B');
    const via = (port: number): string => {
      const url = new URL(AMQP_URL);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    };
    await nodeA.pause(); // node A is down at start: B answers
    const t = teardown.track(
      await createAmqpTransport({
        url: `${via(nodeA.port)},${via(nodeB.port)}`,
        connectionName: uniqueName('url-list'),
        reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
      }),
      'transport over the URL list',
    );
    expect(t.broker).toContain(`:${nodeB.port}`);
    await nodeA.resume();
    const queue = await t.declareQueue(uniqueName('q'), { autoDelete: true, expiresMs: 60_000 });
    const got: string[] = [];
    await t.consume(queue, async (m) => {
      got.push(m.body.toString());
    });
    const reconnected = nextEvent(t, 'reconnected');
    await nodeB.pause(); // B goes away: the transport moves on to A
    await reconnected;
    expect(t.broker).toContain(`:${nodeA.port}`);
    await t.publish('', queue, 'after failover');
    await waitFor(() => got.includes('after failover'), { what: 'a delivery on the consumer restored at the other node' });
  });
});
