// EmsClient with signing on, against REAL vnfkit-ems processes (and a forging fake agent) on RabbitMQ.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXCHANGE, REPLY_SIGNATURE_HEADER, emsActionsQueue, emsRegisterQueue, signReply } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { EmsUntrustedError } from '../../src/errors.js';
import { createAmqpTransport } from '@vnfkit/transport';
import type { ReplyMode } from '@vnfkit/transport';
import { spawnEndpointAgent } from '../helpers/agent-process.js';
import { startEmsClient } from '../helpers/ems-client.js';
import { AMQP_URL, uniqueName } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});
const KEY = 'the-vnfr-key-of-these-vms-0123456789';

/** A started EmsClient with `signingKey` on its own transport, plus a function that starts a real agent for it. */
async function setUp(signingKey: EmsClientKey, replyMode: ReplyMode = 'direct') {
  const endpoint = uniqueName('sig').replace(/-/g, '');
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-signing-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const ems = await startEmsClient({ endpoint, cleanups, replyMode, options: signingKey !== undefined ? { signingKey } : {} });
  const agent = async (name: string, env: Record<string, string> = {}) => {
    const { hostname, scripts } = spawnEndpointAgent({ amqpUrl: AMQP_URL, endpoint, dir, name, env, cleanups });
    await ems.waitForAgent(hostname);
    return { hostname, scripts };
  };
  return { ems, endpoint, agent };
}
type EmsClientKey = string | ((hostname: string) => string | undefined) | undefined;

describe('EmsClient signing (v3, per-VM keys)', () => {
  for (const replyMode of ['direct', 'lasting-queue'] as const) {
    it(`drives an agent holding the key (reply mode ${replyMode}: the signature covers the reply_to as the agent sees it)`, async () => {
      const { ems, agent } = await setUp(KEY, replyMode);
      const { hostname, scripts } = await agent('vm', { VNFKIT_EMS_SIGNING_KEY: KEY });
      await ems.saveScript(hostname, { name: 'hi.sh', content: 'echo hi > "$SCRIPTS_PATH/ran"; echo ok\n' });
      expect(await ems.execute(hostname, { payload: 'hi.sh', env: {} })).toMatchObject({ status: 0, output: 'ok\n' });
      expect(await readFile(join(scripts, 'ran'), 'utf8')).toBe('hi\n');
    });
  }

  it('refuses an agent without a key (its hello does not say it verifies): the command fails naming the host, nothing runs', async () => {
    const { ems, agent } = await setUp(KEY);
    const { hostname, scripts } = await agent('keyless');
    const error = await ems.saveScript(hostname, { name: 'x.sh', content: 'true\n' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmsUntrustedError);
    expect(String((error as Error).message)).toContain(hostname);
    expect((error as Error).message).toMatch(/does not verify signed commands/);
    await expect(readFile(join(scripts, 'x.sh'))).rejects.toThrow(/ENOENT/);
  });

  it('fails a command to a host it has no key for, without sending it', async () => {
    const { ems, agent } = await setUp((hostname) => (hostname.includes('-known-') ? KEY : undefined));
    const { hostname, scripts } = await agent('unknown', { VNFKIT_EMS_SIGNING_KEY: KEY });
    await expect(ems.saveScript(hostname, { name: 'x.sh', content: 'true\n' })).rejects.toThrow(/no signing key is known for this host/);
    await expect(readFile(join(scripts, 'x.sh'))).rejects.toThrow(/ENOENT/);
  });

  it("refuses replies not signed by the target VM: unsigned, signed with a sibling's key, or for another host", async () => {
    const { ems, endpoint } = await setUp(KEY);
    // A fake agent on the real broker that claims to verify and answers every command with success.
    const fake = await createAmqpTransport({ url: AMQP_URL, connectionName: `${endpoint}-fake` });
    cleanups.push(() => fake.close());
    const hostname = `${endpoint}-fake-1`;
    const queue = emsActionsQueue(hostname);
    await fake.declareQueue(queue, { autoDelete: true });
    await fake.bindQueue(queue, EXCHANGE, queue);
    const forgeries = [
      () => undefined,
      (body: string, id: string | undefined) => signReply(KEY, { body, correlationId: id, hostname }), // the VNFR key itself, not the VM's
      (body: string, id: string | undefined) => signReply(KEY, { body, correlationId: id, hostname: `${endpoint}-sibling-2` }),
    ];
    let n = 0;
    await fake.consume(queue, async (m) => {
      const body = JSON.stringify({ output: 'forged', err: '', status: 0 });
      const signature = forgeries[n++ % forgeries.length]?.(body, m.properties.correlationId);
      await fake.reply(m, body, signature === undefined ? {} : { headers: { [REPLY_SIGNATURE_HEADER]: signature } });
    });
    await fake.publish(
      '',
      emsRegisterQueue(endpoint),
      JSON.stringify({ hostname, deduplicates: 'correlation-id', verifies: 'signature-v3' }),
    );
    await ems.waitForAgent(hostname);
    for (let i = 0; i < forgeries.length; i++) {
      const error = await ems.execute(hostname, { payload: 'x.sh', env: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmsUntrustedError);
      expect((error as Error).message).toContain(hostname);
      expect((error as Error).message).toMatch(/reply refused/);
    }
  });
});
