// An agent whose hello was lost (Open Baton's EMS says hello once; the broker drops it while the VNFM's auto-delete
// register queue is gone, e.g. while the VNFM reconnects): the EmsClient sees the agent consume its actions queue
// and, after `helloFallbackMs`, takes it as registered without vnfkit extensions. Over the real RabbitMQ, with an
// Open-Baton-like stand-in that never says hello.
import { afterEach, describe, expect, it } from 'vitest';
import type { EmsCommand } from '@vnfkit/protocol';
import { createAmqpTransport, type Transport } from '@vnfkit/transport';
import { EmsClient, type EmsClientOptions } from '../../src/ems/ems-client.js';
import { EmsTimeoutError } from '../../src/errors.js';
import { AMQP_URL, uniqueName } from '../helpers/broker.js';
import { standInAgent } from '../helpers/stand-in-agent.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** An EmsClient on `endpoint`, and a stand-in agent of `hostname` that consumes its queue, answers, never says hello. */
async function setup(options: Partial<EmsClientOptions>): Promise<{ ems: EmsClient; hostname: string; received: EmsCommand[] }> {
  const endpoint = uniqueName('lost-hello').replace(/-/g, '');
  const hostname = `${endpoint}-vm-1`;
  const transport: Transport = await createAmqpTransport({ url: AMQP_URL, connectionName: endpoint });
  cleanups.push(() => transport.close());
  const ems = new EmsClient({ transport, endpoint, commandTimeoutMs: 10_000, helloTimeoutMs: 4_000, ...options });
  await ems.start();
  cleanups.push(() => ems.stop());
  const received = await standInAgent(transport, hostname, { output: 'ran\n', err: '', status: 0 });
  return { ems, hostname, received };
}

describe('EmsClient and an agent whose hello was lost', () => {
  it('takes an agent that has consumed its queue for helloFallbackMs as registered, without extensions, and commands it', async () => {
    const { ems, hostname, received } = await setup({ helloFallbackMs: 1_000 });
    const t0 = Date.now();
    await ems.waitForAgent(hostname);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(ems.isRegistered(hostname)).toBe(true);
    expect(ems.acceptsBundles(hostname)).toBe(false);
    expect((await ems.execute(hostname, { payload: 'x.sh', env: {} })).output).toBe('ran\n');
    expect(received.map((c) => c.action)).toEqual(['EXECUTE']);
  });

  it('not when turned off, and never with a signing key (the hello carries what signing needs)', async () => {
    for (const options of [{ helloFallbackMs: 0 }, { helloFallbackMs: 500, signingKey: 'k'.repeat(32) }]) {
      const { ems, hostname } = await setup(options);
      await expect(ems.waitForAgent(hostname, 2_500)).rejects.toBeInstanceOf(EmsTimeoutError);
      expect(ems.isRegistered(hostname)).toBe(false);
    }
  });
});
