// A VM that boots while no VNFM listens: the VNFM's `ems.<type>.register` is auto-delete, so it is gone while its
// VNFM is down or reconnecting (after a broker restart, say). The agent's hello must still reach the VNFM once its
// queue is back — sent once and dropped by the broker, the VNFM would fail the VNFR after its agent start timeout.
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { spawnAgent, writeConfig } from '../helpers/agent-process.js';
import { AMQP_URL, FakeVnfm, queueExists, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { tempDir, uniqueHostname, uniqueName } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait-for.js';

describe.skipIf(SKIP_BROKER_TESTS)('the hello of an agent that starts before its VNFM (real RabbitMQ)', () => {
  it('is sent again until the register queue exists, then arrives once', async () => {
    const type = uniqueName('t', 'late-vnfm');
    const register = `ems.${type}.register`;
    // The NFVO's exchange exists (the agent binds its actions queue to it); the VNFM's register queue does not.
    const model = await amqp.connect(AMQP_URL);
    await (await model.createChannel()).assertExchange('openbaton-exchange', 'topic', { durable: true });
    await model.close();
    expect(await queueExists(register)).toBe(false);

    const dir = await tempDir('vnfkit-hello-');
    const hostname = uniqueHostname('late-vnfm');
    const configFile = await writeConfig(dir, {
      amqp_url: AMQP_URL,
      hostname,
      type,
      scripts_dir: join(dir, 'scripts'),
      state_dir: join(dir, 'state'),
      log_level: 'debug',
    });
    const agent = spawnAgent(['--config', configFile]);
    await waitFor(() => agent.logged('no VNFM listens on the register queue yet (it does not exist); saying hello again until one does'), {
      timeoutMs: 20_000,
      what: 'the returned hello',
    });
    // Several attempts are returned before the VNFM comes.
    await waitFor(() => agent.logs.filter((l) => l['msg'] === 'hello still not taken; retrying').length >= 2, {
      timeoutMs: 10_000,
      what: 'two more returned hellos',
    });
    expect(agent.logged('hello sent')).toBe(false);

    const vnfm = await FakeVnfm.start(type);
    await waitFor(() => vnfm.hellosFrom(hostname) >= 1, { timeoutMs: 15_000, what: `the hello of ${hostname} once the VNFM is there` });
    // The agent's log line comes through its stdout pipe, maybe after the hello itself.
    await waitFor(() => agent.logged('hello sent'), { timeoutMs: 5_000, what: "the agent's 'hello sent' log line" });
    const sent = agent.logs.find((l) => l['msg'] === 'hello sent');
    expect(sent?.['attempts']).toBeGreaterThanOrEqual(3);
    // Routed once, no more retries: still one hello a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(vnfm.hellosFrom(hostname)).toBe(1);
  });
});
