// A broker outage longer than a forced close: the link goes through a TCP proxy that is cut and later
// restored, so reconnect attempts really fail for a while (backoff, logging, publish deadline).
import { TimeoutError } from '@vnfkit/protocol';
import { expect, it } from 'vitest';
import { createAmqpTransport } from '../src/index.js';
import { AMQP_URL, describeBroker } from '../../vnfm-sdk/test/helpers/broker.js';
import { LEVEL, captureLogger } from '../../vnfm-sdk/test/helpers/log-capture.js';
import { uniqueName } from '../../vnfm-sdk/test/helpers/names.js';
import { startTcpProxy } from '../../vnfm-sdk/test/helpers/tcp-proxy.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';
import { nextEvent, waitFor } from '../../vnfm-sdk/test/helpers/wait.js';

describeBroker('amqp transport during a broker outage (real RabbitMQ behind a TCP proxy)', () => {
  it('retries with capped backoff (one warning per streak, reset after a handshake), times out publishes, and recovers when the broker is back', async () => {
    const broker = new URL(AMQP_URL);
    const proxy = await startTcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
    teardown.add(() => proxy.close(), 'tcp proxy');
    const url = new URL(AMQP_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const logs = captureLogger('debug');
    const t = teardown.track(
      await createAmqpTransport({
        url: url.toString(),
        connectionName: uniqueName('outage'),
        logger: logs.logger,
        publishTimeoutMs: 400,
        closeTimeoutMs: 2_000,
        reconnect: { initialDelayMs: 10, maxDelayMs: 80, jitter: 0.5 },
      }),
      'amqp transport behind the proxy',
    );
    const q = await t.declareQueue(uniqueName('q'), { exclusive: true });
    const got: string[] = [];
    await t.consume(q, async (m) => {
      got.push(m.body.toString());
    });

    const disconnected = nextEvent(t, 'disconnected');
    await proxy.pause();
    await disconnected;
    await expect(t.publish('', q, 'lost?')).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof TimeoutError &&
        e.timeoutMs === 400 &&
        e.waitedFor.startsWith('the broker connection before publishing to (default exchange)'),
    );
    await waitFor(() => logs.lines.filter((l) => l.msg === 'broker still unreachable; retrying').length >= 3, {
      what: 'several failed reconnect attempts',
    });

    const reconnected = nextEvent(t, 'reconnected', { timeoutMs: 5_000 });
    const waiting = t.publish('', q, 'after the outage'); // issued while down, confirmed after the reconnect
    await proxy.resume();
    await reconnected;
    await waiting;
    await waitFor(() => got.includes('after the outage'), { what: 'the delivery after the outage' });
    expect(got).toEqual(['after the outage']);

    // A second outage starts a new streak: warned again, and the backoff starts from the initial delay.
    const before = logs.lines.length;
    const down = nextEvent(t, 'disconnected');
    await proxy.pause();
    await down;
    await waitFor(() => logs.lines.slice(before).some((l) => l.msg === 'broker still unreachable; retrying'), {
      what: 'a retry in the second outage',
    });
    const back = nextEvent(t, 'reconnected', { timeoutMs: 5_000 });
    await proxy.resume();
    await back;

    const streakStart = logs.lines.filter((l) => l.msg === 'reconnect attempt failed; retrying');
    expect(streakStart).toHaveLength(2);
    expect(streakStart.every((l) => l.level === LEVEL.warn && typeof l['retryInMs'] === 'number' && l['retryInMs'] <= 10)).toBe(true);
    const retries = logs.lines.filter((l) => l.msg === 'broker still unreachable; retrying');
    expect(retries.every((l) => l.level === LEVEL.debug && typeof l['retryInMs'] === 'number' && l['retryInMs'] <= 80)).toBe(true);
    expect(logs.raw.join('')).not.toContain(':guest@');
  });
});
