// Soak: the agent's broker transport during a real broker memory alarm (broker-global: this file runs only
// in the serial "soak" project, keeps the alarm on for a few seconds and always restores the watermark).
// A reply published while the broker blocks the agent's connection must wait past its publish deadline
// instead of failing — a failed reply makes the agent drop the command the script already ran for.
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { transportWithQueue } from '../helpers/transport-queue.js';
import { waitFor } from '../helpers/wait-for.js';

function rabbitmqctl(args: string[]): string {
  return execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 20_000 }).trim();
}

/** The broker's memory high watermark as `set_vm_memory_high_watermark` arguments. */
function currentWatermark(): string[] {
  const value = rabbitmqctl(['eval', 'vm_memory_monitor:get_vm_memory_high_watermark().']);
  const absolute = /^\{absolute,\s*"?([^"}]+)"?\}$/.exec(value);
  if (absolute?.[1]) return ['absolute', absolute[1]];
  if (!/^[0-9.]+$/.test(value)) throw new Error(`cannot read the broker's memory watermark (got ${value})`);
  return [value];
}

const original = currentWatermark();
let alarmOn = false;
function liftMemoryAlarm(): void {
  if (!alarmOn) return;
  rabbitmqctl(['set_vm_memory_high_watermark', ...original]);
  alarmOn = false;
}
afterEach(() => liftMemoryAlarm());
afterAll(() => liftMemoryAlarm());

const PUBLISH_TIMEOUT_MS = 1_500;

describe.skipIf(SKIP_BROKER_TESTS)('agent transport during a broker memory alarm (real RabbitMQ, broker-global alarm)', () => {
  it('publishes made while the broker blocks the connection wait past their deadline (logged) and are confirmed and delivered once after', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          callback();
        },
      }),
    );
    const {
      transport: link,
      queue,
      received,
    } = await transportWithQueue('alarm', { publishTimeoutMs: PUBLISH_TIMEOUT_MS, logger }, { prefetch: 50 });
    link.start();
    await waitFor(() => link.state === 'open', { what: 'the link to connect' });
    await link.publish('', queue, 'warm-up');
    await waitFor(() => received.includes('warm-up'), { what: 'the warm-up message' });

    alarmOn = true;
    rabbitmqctl(['set_vm_memory_high_watermark', '0']);
    const N = 20;
    const failures: unknown[] = [];
    let confirmed = 0;
    const publishes = Array.from({ length: N }, (_, i) =>
      link.publish('', queue, `r${i}`).then(
        () => {
          confirmed += 1;
        },
        (error: unknown) => {
          failures.push(error);
        },
      ),
    );
    await waitFor(
      () => lines.some((l) => l['msg'] === 'the broker blocked this connection (resource alarm); publishes wait until it unblocks'),
      { timeoutMs: 15_000, what: 'the blocked notice' },
    );
    const blockedAt = Date.now();
    await waitFor(() => Date.now() - blockedAt >= 3 * PUBLISH_TIMEOUT_MS, {
      timeoutMs: 10_000,
      what: 'three publish deadlines of blocked time',
    });
    expect(failures).toEqual([]);
    expect(confirmed).toBeLessThan(N);

    liftMemoryAlarm();
    await Promise.all(publishes);
    expect(failures).toEqual([]);
    expect(confirmed).toBe(N);
    await waitFor(() => received.length === N + 1, { timeoutMs: 15_000, what: `all ${N} messages` });
    expect(new Set(received).size).toBe(N + 1);
    expect(lines.some((l) => l['msg'] === 'the broker unblocked this connection')).toBe(true);
  }, 60_000);
});
