// EmsClient noticing an agent that is gone (issue #17): while a command waits, the agent's actions queue is
// watched; no queue, or no consumer on it, for `agentAbsenceTimeoutMs` fails the command with EmsAgentGoneError.
// First on the memory transport (fake agents, exact control), then with a REAL vnfkit-ems process on RabbitMQ.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXCHANGE, emsActionsQueue } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { EmsClient } from '../../src/ems/ems-client.js';
import { EmsAgentGoneError, EmsCommandError } from '../../src/errors.js';
import { createAmqpTransport } from '@vnfkit/transport';
import { createMemoryTransport } from '@vnfkit/transport';
import { MemoryBroker } from '@vnfkit/transport';
import type { Consumer, Transport } from '@vnfkit/transport';
import { spawnAgent } from '../helpers/agent-process.js';
import { AMQP_URL, describeBroker, uniqueName, waitFor } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/**
 * A fake agent on the memory broker: consumes `vnfm.<hostname>.actions` (auto-delete) and answers status 0 after
 * `replyAfterMs`, or never (`'never'`: the command is taken and dropped, as by an agent that dies with it).
 */
async function fakeAgent(
  broker: MemoryBroker,
  hostname: string,
  replyAfterMs: number | 'never' = 0,
): Promise<{ transport: Transport; consumer: Consumer; stop: () => Promise<void> }> {
  const transport = createMemoryTransport(broker);
  await transport.declareExchange(EXCHANGE, 'topic', { durable: true });
  const queue = await transport.declareQueue(emsActionsQueue(hostname), { autoDelete: true });
  await transport.bindQueue(queue, EXCHANGE, queue);
  const consumer = await transport.consume(
    queue,
    async (m) => {
      if (replyAfterMs === 'never') return;
      await sleep(replyAfterMs);
      await transport.reply(m, JSON.stringify({ output: 'done', err: '', status: 0 }));
    },
    { prefetch: 10, concurrency: 10 },
  );
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await transport.close();
  };
  cleanups.push(stop);
  return { transport, consumer, stop };
}

/** An EmsClient on the memory broker whose transport counts the passive declares it makes. */
async function memoryClient(
  broker: MemoryBroker,
  options: { absenceMs: number; pollMs?: number; commandTimeoutMs?: number },
): Promise<{ ems: EmsClient; inspections: () => number }> {
  const transport = createMemoryTransport(broker);
  let inspections = 0;
  const inspectQueue = transport.inspectQueue.bind(transport);
  transport.inspectQueue = (name: string) => {
    inspections += 1;
    return inspectQueue(name);
  };
  const ems = new EmsClient({
    transport,
    endpoint: 'absence',
    commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
    agentAbsenceTimeoutMs: options.absenceMs,
    ...(options.pollMs !== undefined ? { agentPollIntervalMs: options.pollMs } : {}),
  });
  await ems.start();
  cleanups.push(async () => {
    await ems.stop();
    await transport.close();
  });
  return { ems, inspections: () => inspections };
}

describe('EmsClient agent absence watch (memory transport)', () => {
  it('a command to a host with no actions queue fails with "agent gone" naming host and script after the bound, not the command timeout', async () => {
    const broker = new MemoryBroker();
    const { ems } = await memoryClient(broker, { absenceMs: 1_000, pollMs: 100 });
    const t0 = Date.now();
    const error = await ems.execute('nobody-1', { payload: 'install.sh arg', env: {} }).catch((e: unknown) => e);
    const took = Date.now() - t0;
    console.log(`no queue: "agent gone" after ${took} ms (bound 1000 ms, command timeout 30000 ms)`);
    expect(error).toBeInstanceOf(EmsAgentGoneError);
    expect((error as Error).message).toMatch(/EXECUTE of install\.sh on nobody-1 failed: agent gone/);
    expect((error as EmsAgentGoneError).details.seen).toBe('no queue');
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(2_000);
  });

  it('a queue nobody consumes counts as absent; a slow agent that consumes is never failed by the watch', async () => {
    const broker = new MemoryBroker();
    const { ems } = await memoryClient(broker, { absenceMs: 500, pollMs: 100 });
    // Slow: its consumer is there for the whole 2 s the "script" runs, four times the bound.
    await fakeAgent(broker, 'slow-1', 2_000);
    const t0 = Date.now();
    const reply = await ems.execute('slow-1', { payload: 'long.sh', env: {} });
    expect(reply.status).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
    // A queue left without consumer (a non-auto-delete queue of a dead agent).
    const keeper = createMemoryTransport(broker);
    cleanups.push(() => keeper.close());
    await keeper.declareExchange(EXCHANGE, 'topic', { durable: true });
    await keeper.declareQueue(emsActionsQueue('orphan-1'), {});
    await keeper.bindQueue(emsActionsQueue('orphan-1'), EXCHANGE, emsActionsQueue('orphan-1'));
    const error = await ems.execute('orphan-1', { payload: 'x.sh', env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmsAgentGoneError);
    expect((error as EmsAgentGoneError).details.seen).toBe('no consumer');
  });

  it('an agent away for less than the bound (a reconnect) does not fail the command', async () => {
    const broker = new MemoryBroker();
    const { ems } = await memoryClient(broker, { absenceMs: 1_500, pollMs: 100 });
    const first = await fakeAgent(broker, 'blink-1', 'never');
    const pending = ems.execute('blink-1', { payload: 'a.sh', env: {} });
    pending.catch(() => undefined);
    await sleep(300);
    await first.stop(); // its auto-delete queue goes, and the command with it
    await sleep(800); // away for 0.8 s of the 1.5 s bound
    await fakeAgent(broker, 'blink-1', 0);
    // Not deduplicating (no hello here), so the lost command is not re-sent; it must simply not be failed by the watch.
    const outcome = await Promise.race([
      pending.then(
        () => 'answered',
        (e: unknown) => e,
      ),
      sleep(2_500).then(() => 'still waiting'),
    ]);
    expect(outcome).toBe('still waiting');
  });

  it('polls once per host per interval, shared by all commands waiting for it, and stops when nothing waits', async () => {
    const broker = new MemoryBroker();
    const { ems, inspections } = await memoryClient(broker, { absenceMs: 10_000, pollMs: 200 });
    await fakeAgent(broker, 'busy-1', 1_000);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => ems.execute('busy-1', { payload: `s${i}.sh`, env: {} })));
    expect(replies.every((r) => r.status === 0)).toBe(true);
    // 10 commands for ~1 s, polled every 200 ms: about 5 looks, not 50.
    expect(inspections()).toBeGreaterThanOrEqual(3);
    expect(inspections()).toBeLessThanOrEqual(6);
    const after = inspections();
    await sleep(600);
    expect(inspections()).toBe(after);
  });

  it('agentAbsenceTimeoutMs 0 turns the watch off: only the command timeout ends the wait', async () => {
    const broker = new MemoryBroker();
    const { ems, inspections } = await memoryClient(broker, { absenceMs: 0, commandTimeoutMs: 1_500 });
    const error = await ems.execute('nobody-2', { payload: 'x.sh', env: {} }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(EmsAgentGoneError);
    expect((error as Error).message).toMatch(/no queue took the request/);
    expect(inspections()).toBe(0);
  });
});

describeBroker('EmsClient agent absence watch (RabbitMQ, real agent)', () => {
  async function setUp(absenceMs: number): Promise<{ ems: EmsClient; endpoint: string; dir: string }> {
    const endpoint = uniqueName('absence').replace(/-/g, '');
    const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-absence-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: `${endpoint}-vnfm` });
    cleanups.push(() => transport.close());
    const ems = new EmsClient({ transport, endpoint, commandTimeoutMs: 60_000, helloTimeoutMs: 20_000, agentAbsenceTimeoutMs: absenceMs });
    await ems.start();
    cleanups.push(() => ems.stop());
    return { ems, endpoint, dir };
  }

  it('an agent SIGKILLed mid-script: the command fails "agent gone" within seconds; a slow script of a live agent does not', async () => {
    const { ems, endpoint, dir } = await setUp(2_000);
    const hostname = `${endpoint}-vnf-1`;
    const scripts = join(dir, 'scripts');
    const agent = spawnAgent(
      {
        VNFKIT_EMS_AMQP_URL: AMQP_URL,
        VNFKIT_EMS_HOSTNAME: hostname,
        VNFKIT_EMS_TYPE: endpoint,
        VNFKIT_EMS_SCRIPTS_DIR: scripts,
        VNFKIT_EMS_STATE_DIR: join(dir, 'state'),
        VNFKIT_EMS_LOG_LEVEL: 'warn',
      },
      cleanups,
    );
    await ems.waitForAgent(hostname);
    await ems.saveScript(hostname, {
      name: 'slow.sh',
      content: '#!/bin/bash\necho started >> "$SCRIPTS_PATH/slow.log"\nsleep "${1:-30}"\n',
    });
    // Slow but alive: 4 s, twice the bound.
    const t1 = Date.now();
    expect((await ems.execute(hostname, { payload: 'slow.sh 4', env: {} })).status).toBe(0);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(4_000);

    const pending = ems.execute(hostname, { payload: 'slow.sh 30', env: {} });
    pending.catch(() => undefined);
    await waitFor(
      async () => (await readFile(join(scripts, 'slow.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length === 2,
      { what: 'slow.sh to start again' },
    );
    const t0 = Date.now();
    agent.kill('SIGKILL');
    const error = await pending.catch((e: unknown) => e);
    const took = Date.now() - t0;
    console.log(`agent SIGKILLed: "agent gone" after ${took} ms (bound 2000 ms, command timeout 60000 ms)`);
    expect(error).toBeInstanceOf(EmsAgentGoneError);
    expect((error as Error).message).toContain(hostname);
    expect((error as Error).message).toContain('slow.sh');
    expect(error).not.toBeInstanceOf(EmsCommandError);
    expect(took).toBeLessThan(5_000);
  }, 60_000);

  it('a command to a host whose agent never started fails by the same rule (never sent: no queue takes it)', async () => {
    const { ems, endpoint } = await setUp(2_000);
    const t0 = Date.now();
    const error = await ems.execute(`${endpoint}-never-1`, { payload: 'install.sh', env: {} }).catch((e: unknown) => e);
    const took = Date.now() - t0;
    console.log(`agent never started: "agent gone" after ${took} ms (bound 2000 ms)`);
    expect(error).toBeInstanceOf(EmsAgentGoneError);
    expect((error as EmsAgentGoneError).details.seen).toBe('no queue');
    expect(took).toBeLessThan(5_000);
  }, 30_000);
});
