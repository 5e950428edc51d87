// Per-VM identities (issue #15): real vnfkit-ems processes enrol with an X25519 key of their own, the EmsClient pins
// it at first use, and root on a sibling VM — which holds the same VNFR key, so the same host keys — can neither
// sign commands for an enrolled VM, nor forge its replies, nor swap its identity. Real RabbitMQ throughout.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEDUPLICATES_BY_CORRELATION_ID,
  EXCHANGE,
  REPLY_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  VERIFIES_SIGNATURE_V3,
  deriveAgentKey,
  deriveVmKey,
  emsActionsQueue,
  emsRegisterQueue,
  identityMac,
  newAgentIdentity,
  signCommand,
  signReply,
  vnfmIdentity,
} from '@vnfkit/protocol';
import { createAmqpTransport, type AmqpTransport } from '@vnfkit/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmsClient } from '../../src/ems/ems-client.js';
import { FileIdentityPins, type IdentityPins } from '../../src/ems/identity-pins.js';
import { EmsUntrustedError } from '../../src/errors.js';
import { killAgent, spawnEndpointAgent } from '../helpers/agent-process.js';
import { startEmsClient } from '../helpers/ems-client.js';
import { AMQP_URL, uniqueName } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});
const MASTER = 'the-master-key-of-this-vnfm-0123456789';
/** What every VM of the VNFR is given (user-data SIGNING_KEY): a sibling knows it. */
const VNFR_KEY = 'the-vnfr-key-of-these-vms-0123456789';
const VNFM = vnfmIdentity(MASTER);

async function setUp() {
  const endpoint = uniqueName('idn').replace(/-/g, '');
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-identity-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const pinsFile = join(dir, 'pins.jsonl');
  const client = async (pins: IdentityPins = FileIdentityPins.open(pinsFile)): Promise<EmsClient> => {
    cleanups.push(() => pins.close());
    return startEmsClient({
      endpoint,
      cleanups,
      connectionName: `${endpoint}-vnfm`,
      options: { signingKey: VNFR_KEY, identity: { keyPair: VNFM, pins } },
    });
  };
  const agent = (name: string) =>
    spawnEndpointAgent({
      amqpUrl: AMQP_URL,
      endpoint,
      dir,
      name,
      env: { VNFKIT_EMS_SIGNING_KEY: VNFR_KEY, VNFKIT_EMS_VNFM_PUBLIC_KEY: VNFM.publicKey },
      cleanups,
    });
  /** Root on a sibling VM: the shared broker account, the VNFR key, a key pair of its own. */
  const sibling = async (): Promise<AmqpTransport> => {
    const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: `${endpoint}-sibling` });
    cleanups.push(() => transport.close());
    return transport;
  };
  const fakeHello = (transport: AmqpTransport, hostname: string, publicKey = newAgentIdentity().publicKey): Promise<void> =>
    transport.publish(
      '',
      emsRegisterQueue(endpoint),
      JSON.stringify({
        hostname,
        deduplicates: DEDUPLICATES_BY_CORRELATION_ID,
        verifies: VERIFIES_SIGNATURE_V3,
        identity: { publicKey, mac: identityMac(deriveAgentKey(VNFR_KEY, hostname), hostname, publicKey) },
      }),
    );
  return { endpoint, dir, pinsFile, client, agent, sibling, fakeHello };
}

describe('EmsClient with per-VM identities (trust on first use)', () => {
  it('pins the identity of the first hello; a sibling cannot sign a command for the enrolled VM, with its host key or its own key pair', async () => {
    const { client, agent, sibling, pinsFile } = await setUp();
    const ems = await client();
    const a = agent('a');
    await ems.waitForAgent(a.hostname);
    await ems.saveScript(a.hostname, { name: 'hi.sh', content: 'echo hi >> "$SCRIPTS_PATH/ran"; echo ok\n' });
    expect(await ems.execute(a.hostname, { payload: 'hi.sh', env: {} })).toMatchObject({ status: 0, output: 'ok\n' });
    // The agent's key pair is root-only on its VM, and its public half is what the VNFM pinned.
    const pem = await readFile(join(a.state, 'identity.pem'), 'utf8');
    const pins = (await readFile(pinsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { hostname: string; publicKey: string });
    expect(pins).toHaveLength(1);
    expect(pins[0]?.hostname.startsWith(`${a.hostname}#`)).toBe(true);
    expect(pem).toMatch(/BEGIN PRIVATE KEY/);

    const attacker = await sibling();
    const replies = new Map<string, { status: number; err: string }>();
    const own = await attacker.declareQueue('', { exclusive: true, autoDelete: true });
    await attacker.consume(own, async (m) => {
      replies.set(String(m.properties.correlationId), JSON.parse(m.body.toString()) as { status: number; err: string });
    });
    const hostKey = deriveAgentKey(VNFR_KEY, a.hostname); // what every VM of the VNFR can derive
    const mine = newAgentIdentity();
    const keys = {
      'host-key': hostKey,
      'own-pair': deriveVmKey({ privateKey: mine.privateKey, peerPublicKey: VNFM.publicKey, hostKey, hostname: a.hostname }),
    };
    const queue = emsActionsQueue(a.hostname);
    for (const [how, key] of Object.entries(keys)) {
      const body = JSON.stringify({ action: 'EXECUTE', payload: 'hi.sh', env: {} });
      await attacker.publish(EXCHANGE, queue, body, {
        correlationId: how,
        replyTo: own,
        headers: { [SIGNATURE_HEADER]: signCommand(key, { body, correlationId: how, routingKey: queue, replyTo: own }) },
      });
      const reply = await waitFor(() => replies.get(how), { what: `the agent's answer to the command signed with the ${how}` });
      expect(reply.status, how).not.toBe(0);
      expect(reply.err, how).toMatch(/invalid signature/);
    }
    expect(await readFile(join(a.scripts, 'ran'), 'utf8')).toBe('hi\n'); // ran once, for the VNFM only
  });

  it("refuses replies a sibling forges for an enrolled VM, signed with its host key or the sibling's own derived key", async () => {
    const { client, agent, sibling } = await setUp();
    const ems = await client();
    const a = agent('a');
    await ems.waitForAgent(a.hostname);
    await ems.saveScript(a.hostname, { name: 'hi.sh', content: 'echo ok\n' }); // enrolled
    await killAgent(a.child);
    // The sibling takes the agent's place on its actions queue and answers success.
    const attacker = await sibling();
    const queue = emsActionsQueue(a.hostname);
    await attacker.declareQueue(queue, { autoDelete: true });
    await attacker.bindQueue(queue, EXCHANGE, queue);
    const hostKey = deriveAgentKey(VNFR_KEY, a.hostname);
    const mine = newAgentIdentity();
    const forgeries = [hostKey, deriveVmKey({ privateKey: mine.privateKey, peerPublicKey: VNFM.publicKey, hostKey, hostname: a.hostname })];
    let n = 0;
    await attacker.consume(queue, async (m) => {
      const body = JSON.stringify({ output: 'forged', err: '', status: 0 });
      const key = forgeries[n++ % forgeries.length] as string;
      const signature = signReply(key, { body, correlationId: m.properties.correlationId, hostname: a.hostname });
      await attacker.reply(m, body, { headers: { [REPLY_SIGNATURE_HEADER]: signature } });
    });
    for (let i = 0; i < forgeries.length; i++) {
      const error = await ems.execute(a.hostname, { payload: 'hi.sh', env: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmsUntrustedError);
      expect((error as Error).message).toMatch(/reply refused/);
    }
    expect(n).toBe(forgeries.length);
  });

  it('a second identity for an enrolled host (a hello a sibling forged) fails its commands with the conflict, nothing sent; forget() lets it enrol afresh', async () => {
    const { client, agent, sibling, fakeHello } = await setUp();
    const ems = await client();
    const a = agent('a');
    await ems.waitForAgent(a.hostname);
    await ems.saveScript(a.hostname, { name: 'hi.sh', content: 'echo hi >> "$SCRIPTS_PATH/ran"\n' });
    const attacker = await sibling();
    await fakeHello(attacker, a.hostname);
    // Until the client has read the forged hello, a SAVE_SCRIPTS (harmless) still goes through.
    const error = await waitFor(
      async () => {
        const e = await ems
          .saveScript(a.hostname, { name: 'hi.sh', content: 'echo hi >> "$SCRIPTS_PATH/ran"\n' })
          .catch((err: unknown) => err);
        return e instanceof EmsUntrustedError ? e : undefined;
      },
      { what: 'the refusal after the forged hello' },
    );
    expect(error.message).toContain(a.hostname);
    expect(error.message).toMatch(/identity other than the one pinned/);
    await expect(ems.execute(a.hostname, { payload: 'hi.sh', env: {} })).rejects.toThrow(/identity other than the one pinned/);
    await expect(readFile(join(a.scripts, 'ran'), 'utf8')).rejects.toThrow(/ENOENT/);
    // The operator forgets the host (its VM is rebuilt, or was checked): the real agent enrols again at its next hello.
    ems.forget(a.hostname);
    await killAgent(a.child);
    const again = agent('a');
    await ems.waitForAgent(again.hostname);
    expect(await ems.execute(again.hostname, { payload: 'hi.sh', env: {} })).toMatchObject({ status: 0 });
  });

  it('two identities for a host before any was pinned (a sibling raced its first hello): refused, nothing sent', async () => {
    const { client, agent, sibling, fakeHello, endpoint } = await setUp();
    const attacker = await sibling();
    // Both hellos wait in the register queue before the VNFM reads any: the forged one first, then the real agent's.
    const register = emsRegisterQueue(endpoint);
    await attacker.declareQueue(register, { durable: true, autoDelete: true });
    cleanups.push(() => attacker.deleteQueue(register));
    const hostname = `${endpoint}-b-1`;
    await fakeHello(attacker, hostname);
    const b = agent('b');
    await waitFor(async () => (await attacker.inspectQueue(register))?.messages === 2, { what: 'both hellos in the register queue' });
    const ems = await client();
    await ems.waitForAgent(hostname);
    await waitFor(async () => ems.isRegistered(hostname), { what: 'the hellos read' });
    const error = await ems.saveScript(hostname, { name: 'x.sh', content: 'true\n' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmsUntrustedError);
    expect((error as Error).message).toMatch(/2 different identities were presented for this host before one was pinned/);
    await expect(readFile(join(b.scripts, 'x.sh'))).rejects.toThrow(/ENOENT/);
  });

  it('the pins outlive the VNFM: a new client on the same pins file drives the enrolled agent without a new hello', async () => {
    const { client, agent } = await setUp();
    const first = await client();
    const a = agent('a');
    await first.waitForAgent(a.hostname);
    await first.saveScript(a.hostname, { name: 'hi.sh', content: 'echo ok\n' });
    await first.stop();
    const second = await client();
    expect(second.isRegistered(a.hostname)).toBe(false);
    expect(await second.execute(a.hostname, { payload: 'hi.sh', env: {} })).toMatchObject({ status: 0, output: 'ok\n' });
  });
});
