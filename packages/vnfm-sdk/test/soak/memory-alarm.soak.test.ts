// Soak: a broker memory alarm and a slow consumer against the real RabbitMQ at AMQP_URL.
// The memory alarm is broker-global (it blocks every publishing connection of every vhost), so this
// file only runs in the serial "soak" project, keeps the alarm on for a few seconds at most and always
// restores the broker's previous watermark, also when a test fails.
import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';
import type { ConfirmChannel } from 'amqplib';
import { afterAll, afterEach, expect, it } from 'vitest';
import { EmsClient } from '../../src/ems/ems-client.js';
import { drainWaitCount } from '../../../transport/src/internal/publish-flow.js';
import { createAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from '@vnfkit/transport';
import type { IncomingMessage } from '@vnfkit/transport';
import { describeBroker, privateVhost } from '../helpers/broker.js';
import { LEVEL, captureLogger } from '../helpers/log-capture.js';
import { uniqueName } from '../helpers/names.js';
import { teardown } from '../helpers/teardown.js';
import { nextEvent, waitFor, withTimeout } from '../helpers/wait.js';

function rabbitmqctl(args: string[]): string {
  return execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 20_000 }).trim();
}

/** The broker's memory high watermark as `set_vm_memory_high_watermark` arguments (relative `0.4` or `absolute <bytes>`). */
function currentWatermark(): string[] {
  const value = rabbitmqctl(['eval', 'vm_memory_monitor:get_vm_memory_high_watermark().']);
  const absolute = /^\{absolute,\s*"?([^"}]+)"?\}$/.exec(value);
  if (absolute?.[1]) return ['absolute', absolute[1]];
  if (!/^[0-9.]+$/.test(value)) throw new Error(`cannot read the broker's memory watermark (got ${value})`);
  return [value];
}

const original = currentWatermark();
let alarmOn = false;

function raiseMemoryAlarm(): void {
  alarmOn = true;
  rabbitmqctl(['set_vm_memory_high_watermark', '0']);
}

function liftMemoryAlarm(): void {
  if (!alarmOn) return;
  rabbitmqctl(['set_vm_memory_high_watermark', ...original]);
  alarmOn = false;
}

// Whatever happens, the broker gets its watermark back (other suites share it).
afterEach(() => liftMemoryAlarm());
afterAll(() => liftMemoryAlarm());

const vhost = privateVhost('soak-alarm');
teardown.addForFile(() => vhost.remove(), `vhost ${vhost.vhost}`);

/** Kept short so the test proves that a blocked publish outlives its deadline instead of failing. */
const PUBLISH_TIMEOUT_MS = 1_500;

async function connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  const connectionName = options.connectionName ?? uniqueName('soak');
  const transport = await createAmqpTransport({
    url: vhost.url,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    connectTimeoutMs: 5_000,
    closeTimeoutMs: 5_000,
    ...options,
    connectionName,
  });
  return teardown.track(transport, `amqp transport ${connectionName}`);
}

/** Settles-later bookkeeping of many promises: how many resolved, and the first rejection. */
function track(promises: Promise<unknown>[]): { resolved: () => number; failures: Error[]; all: Promise<unknown> } {
  let resolved = 0;
  const failures: Error[] = [];
  const all = Promise.allSettled(
    promises.map((p) =>
      p.then(
        () => {
          resolved += 1;
        },
        (error: unknown) => {
          failures.push(error instanceof Error ? error : new Error(String(error)));
        },
      ),
    ),
  );
  return { resolved: () => resolved, failures, all };
}

/**
 * Watches every amqplib confirm-channel publish in this process: how often amqplib answered "write
 * buffer full" (false), and how many publishes were still written to a channel in that state before
 * its `drain` event — the ones a transport that ignores back-pressure would pile up.
 */
async function watchBackPressure(): Promise<{ fullAnswers: () => number; writesWhileFull: () => number; restore: () => void }> {
  const connection = await amqp.connect(vhost.url);
  const probe = await connection.createConfirmChannel();
  const proto = Object.getPrototypeOf(probe) as { publish: ConfirmChannel['publish'] };
  await connection.close();
  const original = proto.publish;
  const full = new WeakSet<ConfirmChannel>();
  let fullAnswers = 0;
  let writesWhileFull = 0;
  proto.publish = function publish(this: ConfirmChannel, ...args: Parameters<ConfirmChannel['publish']>): boolean {
    if (full.has(this)) writesWhileFull += 1;
    const accepted = original.apply(this, args);
    if (!accepted && !full.has(this)) {
      fullAnswers += 1;
      full.add(this);
      this.once('drain', () => full.delete(this));
    }
    return accepted;
  };
  return {
    fullAnswers: () => fullAnswers,
    writesWhileFull: () => writesWhileFull,
    restore: () => {
      proto.publish = original;
    },
  };
}

describeBroker('broker memory alarm and slow consumers (real RabbitMQ, broker-global alarm)', () => {
  it('publishes and EMS commands issued during a memory alarm wait (blocked, logged) past their deadline, then all arrive exactly once', async () => {
    const N = 300;
    const M = 20;
    const { logger, lines } = captureLogger('info');
    const publisher = await connect({ publishTimeoutMs: PUBLISH_TIMEOUT_MS, logger });
    const consumer = await connect();
    const agentSide = await connect();

    // A plain queue and a fake EMS agent (consumes vnfm.<host>.actions, answers every command).
    const queue = await consumer.declareQueue(uniqueName('alarm-q'), { expiresMs: 60_000 });
    const received = new Map<string, number>();
    await consumer.consume(
      queue,
      async (m) => {
        const id = m.body.toString();
        received.set(id, (received.get(id) ?? 0) + 1);
      },
      { prefetch: 50 },
    );
    const hostname = `${uniqueName('vm')}-1`;
    const ems = new EmsClient({ transport: publisher, commandTimeoutMs: 60_000 });
    await agentSide.declareExchange('openbaton-exchange', 'topic', { durable: true });
    const actions = await agentSide.declareQueue(`vnfm.${hostname}.actions`, { expiresMs: 60_000 });
    await agentSide.bindQueue(actions, 'openbaton-exchange', actions);
    const commands = new Map<string, number>();
    await agentSide.consume(
      actions,
      async (m: IncomingMessage) => {
        const payload = (JSON.parse(m.body.toString()) as { payload: string }).payload;
        commands.set(payload, (commands.get(payload) ?? 0) + 1);
        await agentSide.reply(m, JSON.stringify({ output: `ran ${payload}`, err: '', status: 0 }));
      },
      { prefetch: 10 },
    );
    // Everything above is declared before the alarm: declarations are publishes' neighbours on a blocked socket too.
    await publisher.publish('', queue, 'warm-up');
    await waitFor(() => received.get('warm-up') === 1, { what: 'the warm-up message' });

    const blocked = nextEvent(publisher, 'blocked', { timeoutMs: 15_000 });
    const unblocked = nextEvent(publisher, 'unblocked', { timeoutMs: 30_000 });
    raiseMemoryAlarm();
    const alarmAt = Date.now();
    const publishes = track(Array.from({ length: N }, (_, i) => publisher.publish('', queue, `m${i}`)));
    const executes = track(Array.from({ length: M }, (_, i) => ems.execute(hostname, { payload: `script-${i}.sh` })));
    await blocked;
    const blockedAt = Date.now();
    expect(lines.some((l) => l.level === LEVEL.warn && l.msg.includes('blocked this connection'))).toBe(true);

    // Well past the publish deadline: nothing failed, (almost) nothing got through.
    await waitFor(() => Date.now() - blockedAt >= 3 * PUBLISH_TIMEOUT_MS, {
      timeoutMs: 10_000,
      what: 'three publish deadlines of blocked time',
    });
    expect(publishes.failures).toEqual([]);
    expect(executes.failures).toEqual([]);
    expect(publishes.resolved()).toBeLessThan(N);
    expect(executes.resolved()).toBe(0);

    liftMemoryAlarm();
    await unblocked;
    await withTimeout(Promise.all([publishes.all, executes.all]), {
      timeoutMs: 30_000,
      what: 'the publishes and commands after the alarm',
    });
    expect(publishes.failures).toEqual([]);
    expect(executes.failures).toEqual([]);
    expect(publishes.resolved()).toBe(N);
    expect(executes.resolved()).toBe(M);
    await waitFor(() => received.size === N + 1, { timeoutMs: 15_000, what: `all ${N} messages at the consumer` });
    expect([...received.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect([...commands.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(commands.size).toBe(M);
    expect(lines.some((l) => l.msg === 'the broker unblocked this connection')).toBe(true);
    expect(Date.now() - alarmAt).toBeLessThan(25_000);
  }, 60_000);

  it('a fast publisher and a slow consumer: nothing lost, and the publisher waits for drain instead of buffering everything', async () => {
    const N = 6_000;
    const SIZE = 16 * 1024;
    const publisher = await connect();
    const consumer = await connect();
    const queue = await consumer.declareQueue(uniqueName('slow-q'), { expiresMs: 120_000 });
    const seen = new Uint8Array(N);
    let handled = 0;
    await consumer.consume(
      queue,
      async (m) => {
        const index = m.body.readUInt32BE(0);
        seen[index] = (seen[index] ?? 0) + 1;
        handled += 1;
        // Slow: every delivery yields, every 100th one waits a little (ack only after that).
        await new Promise((resolve) => (handled % 100 === 0 ? setTimeout(resolve, 5) : setImmediate(resolve)));
      },
      { prefetch: 20, concurrency: 1 },
    );

    const payloads = Array.from({ length: N }, (_, i) => {
      const b = Buffer.alloc(SIZE);
      b.writeUInt32BE(i, 0);
      return b;
    });
    const pressure = await watchBackPressure();
    teardown.add(() => pressure.restore(), 'the publish watcher');
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const drainsBefore = drainWaitCount();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 5);
    try {
      // Everything at once, as a VNFM replying to a burst would: the transport must pace the writes.
      await withTimeout(Promise.all(payloads.map((p) => publisher.publish('', queue, p))), {
        timeoutMs: 60_000,
        what: `${N} confirmed publishes`,
      });
    } finally {
      clearInterval(sampler);
    }
    const extraMb = (peak - before) / 2 ** 20;
    const totalMb = (N * SIZE) / 2 ** 20;
    // amqplib reported a full write buffer and the transport waited for `drain` before writing more.
    // The payloads are counted in `before`; the transport must not add copies of them on top (the
    // consumer's received copies, garbage not yet collected, are most of what is measured here).
    expect(drainWaitCount()).toBeGreaterThan(drainsBefore);
    expect(pressure.fullAnswers()).toBeGreaterThan(0);
    expect(pressure.writesWhileFull()).toBe(0);
    expect(extraMb).toBeLessThan(totalMb);
    await waitFor(() => handled >= N, { timeoutMs: 60_000, what: `the slow consumer to get all ${N} messages` });
    expect(seen.every((count) => count === 1)).toBe(true);
    console.info(
      `slow consumer: ${N} × ${SIZE / 1024} KiB (${totalMb.toFixed(0)} MiB) published; amqplib said "buffer full" ${pressure.fullAnswers()} times, 0 writes while full; memory peaked at +${extraMb.toFixed(1)} MiB`,
    );
  }, 120_000);
});
