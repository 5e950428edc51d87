// Signed commands end to end, per-VM keys: the Generic VNFM holds the master key, each VNFR's VMs get their VNFR key
// through the user-data, every VM signs and verifies with its own key (docs/ems.md, "Trust").
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import amqp, { type ConsumeMessage } from 'amqplib';
import { agentIdentityFromPem, deriveAgentKey, deriveVmKey, signCommand } from '@vnfkit/protocol';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import { loadUserDataTemplate } from '../../src/user-data.js';
import { privateVhost, runs, scripts, startHarness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());
const MASTER = 'the-vnfm-master-signing-key-0123456789';
const AGENT_DIR = dirname(createRequire(import.meta.url).resolve('@vnfkit/ems-agent/package.json'));
/** The agents run from source, so they are the agent of this tree (not a stale build). */
const agentCommand = [process.execPath, '--conditions=@vnfkit/source', '--import', 'tsx', join(AGENT_DIR, 'src', 'cli.ts')];

const nsd = (type: string, events: Record<string, string[]> = { INSTANTIATE: ['install.sh'] }, vnfcs = 1) => ({
  name: 'ns',
  vnfd: [
    {
      name: 'signed',
      type: 't',
      endpoint: type,
      lifecycle_event: Object.entries(events).map(([event, lifecycle_events]) => ({ event: event as 'INSTANTIATE', lifecycle_events })),
      vdu: [{ name: 'v', vnfc: Array.from({ length: vnfcs }, () => ({})) }],
    },
  ],
});

/** What a root on some VM with the agents' broker account can do: read every command on the exchange, publish. */
async function tap(url: string) {
  const connection = await amqp.connect(url);
  onTestFinished(() => connection.close().catch(() => undefined));
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'openbaton-exchange', 'vnfm.*.actions');
  const captured: ConsumeMessage[] = [];
  await channel.consume(queue, (m) => m && captured.push(m), { noAck: true });
  const replies = new Map<string, ConsumeMessage>();
  const { queue: own } = await channel.assertQueue('', { exclusive: true });
  await channel.consume(own, (m) => m && replies.set(String(m.properties.correlationId), m), { noAck: true });
  const waitFor = async <T>(what: string, get: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const value = get();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  return { channel, captured, replies, own, waitFor };
}

it('deploys with per-VM keys from the user-data; a command captured for VM A is refused by its sibling B and on another reply_to, and so is one root on A signs for B', async () => {
  const h = await startHarness({ url: vhost.url, signingKey: MASTER, agentCommand });
  try {
    const t = await tap(vhost.url);
    const nsrId = await h.sim.deploy(nsd(h.type, { INSTANTIATE: ['install.sh'] }, 2), {
      packages: { signed: { scripts: scripts(['install.sh']) } },
    });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(await runs(h.vim, 'signed-1')).toEqual(['install.sh']);
    expect(await runs(h.vim, 'signed-2')).toEqual(['install.sh']);
    const execute = t.captured.find((m) => m.fields.routingKey === 'vnfm.signed-1.actions' && m.content.toString().includes('"EXECUTE"'));
    expect(execute?.properties.headers?.['x-vnfkit-signature']).toMatch(/^v3:/);
    if (!execute) return;
    // Replayed to the sibling (same VNFR, same VNFR key): B verifies with its own key and its own queue.
    t.channel.publish('openbaton-exchange', 'vnfm.signed-2.actions', execute.content, {
      ...execute.properties,
      correlationId: 'replay-b',
      replyTo: t.own,
    });
    const atB = await t.waitFor('the refusal of signed-2', () => t.replies.get('replay-b'));
    expect(JSON.parse(atB.content.toString())).toMatchObject({
      status: 1,
      output: '',
      err: expect.stringMatching(/x-vnfkit-signature: invalid signature/),
    });
    // Replayed to A itself, to collect the output on another reply_to: refused too (the id is bound, and so is reply_to).
    t.channel.publish('openbaton-exchange', 'vnfm.signed-1.actions', execute.content, { ...execute.properties, replyTo: t.own });
    const atA = await t.waitFor('the refusal of signed-1', () => t.replies.get(String(execute.properties.correlationId)));
    expect(JSON.parse(atA.content.toString())).toMatchObject({ status: 1, output: '', err: expect.stringMatching(/invalid signature/) });
    // Root on signed-1 reads what its VM holds — its config (the VNFR key, the VNFM's public key) and its own key
    // pair — and signs an EXECUTE for its sibling signed-2 with every key it can derive for it: all refused.
    const vm1 = dirname(h.vim.scriptsDir('signed-1'));
    const conf = await readFile(join(vm1, 'ems.conf'), 'utf8');
    const value = (key: string): string => /^(\S+) = (.*)$/m.exec(conf.split('\n').find((l) => l.startsWith(`${key} =`)) ?? '')?.[2] ?? '';
    const hostKey = deriveAgentKey(value('signing_key'), 'signed-2');
    const own = agentIdentityFromPem(await readFile(join(vm1, 'state', 'identity.pem'), 'utf8'));
    const forged = {
      'host-key': hostKey,
      'own-pair': deriveVmKey({ privateKey: own.privateKey, peerPublicKey: value('vnfm_public_key'), hostKey, hostname: 'signed-2' }),
    };
    const body = JSON.stringify({ action: 'EXECUTE', payload: 'install.sh', env: {} });
    for (const [how, key] of Object.entries(forged)) {
      const headers = {
        'x-vnfkit-signature': signCommand(key, { body, correlationId: how, routingKey: 'vnfm.signed-2.actions', replyTo: t.own }),
      };
      t.channel.publish('openbaton-exchange', 'vnfm.signed-2.actions', Buffer.from(body), { correlationId: how, replyTo: t.own, headers });
      const refusal = await t.waitFor(`the refusal of the ${how} signature`, () => t.replies.get(how));
      expect(JSON.parse(refusal.content.toString()), how).toMatchObject({ status: 1, err: expect.stringMatching(/invalid signature/) });
    }
    expect(await runs(h.vim, 'signed-1')).toEqual(['install.sh']);
    expect(await runs(h.vim, 'signed-2')).toEqual(['install.sh']);
  } finally {
    await h.close();
  }
}, 60_000);

it("a forged unsigned {status:0} published to the VNFM's reply queue is refused: ERROR naming the host, never success", async () => {
  const h = await startHarness({ url: vhost.url, signingKey: MASTER, agentCommand });
  try {
    const t = await tap(vhost.url);
    // The script waits until the test has forged its answer.
    const slow = '#!/bin/bash\nfor i in $(seq 1 300); do [ -f "$SCRIPTS_PATH/release" ] && exit 0; sleep 0.1; done\nexit 9\n';
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh'], { 'install.sh': slow }) } } });
    const execute = await t.waitFor('the EXECUTE', () => t.captured.find((m) => m.content.toString().includes('"EXECUTE"')));
    const { replyTo, correlationId } = execute.properties as { replyTo: string; correlationId: string };
    t.channel.sendToQueue(replyTo, Buffer.from(JSON.stringify({ output: 'forged', err: '', status: 0 })), {
      correlationId,
      contentType: 'text/plain',
    });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    expect(h.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(
      /signed-1.*reply refused: the reply is not signed/s,
    );
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(h.vim.scriptsDir('signed-1'), 'release'), '');
  } finally {
    await h.close();
  }
}, 60_000);

it('a VNFM with a key refuses an agent without one (its hello says it does not verify): ERROR naming the host, no script ran', async () => {
  // A template that gives the VMs no key: the agents run keyless.
  const template = (await loadUserDataTemplate()).replace(/^export SIGNING_KEY=.*$/m, '');
  const h = await startHarness({ url: vhost.url, signingKey: MASTER, agentCommand, userDataTemplate: template });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    expect(h.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(/signed-1.*does not verify signed commands/s);
    expect(await runs(h.vim, 'signed-1')).toEqual([]);
  } finally {
    await h.close();
  }
}, 60_000);

it('an agent with a key refuses an unsigned VNFM: ERROR, and no script ran', async () => {
  const h = await startHarness({ url: vhost.url, agentSigningKey: 'an-agent-signing-key-0123456789', agentCommand });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    expect(h.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(/sign/i);
    expect(await runs(h.vim, 'signed-1')).toEqual([]);
  } finally {
    await h.close();
  }
}, 60_000);

it("an agent given another key is refused (its identity is not MAC'd with its host key), and so is one without the VNFM's public key: nothing sent", async () => {
  const h = await startHarness({ url: vhost.url, signingKey: MASTER, agentSigningKey: 'another-signing-key-9876543210', agentCommand });
  try {
    const nsrId = await h.sim.deploy(nsd(h.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    expect(h.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(
      /signed-1.*identity its hello presented is not MAC'd/s,
    );
    expect(await runs(h.vim, 'signed-1')).toEqual([]);
  } finally {
    await h.close();
  }
  // An agent with the right key but without the VNFM's public key (no VNFM_PUBLIC_KEY in its user-data) presents no
  // identity: refused before anything is sent.
  const template = (await loadUserDataTemplate()).replace(/^export VNFM_PUBLIC_KEY=.*$/m, '');
  const h2 = await startHarness({ url: vhost.url, signingKey: MASTER, agentCommand, userDataTemplate: template });
  try {
    const nsrId = await h2.sim.deploy(nsd(h2.type), { packages: { signed: { scripts: scripts(['install.sh']) } } });
    await h2.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    expect(h2.sim.vnfr(nsrId, 'signed').lifecycle_event_history?.at(-1)?.description).toMatch(/signed-1.*presented no identity/s);
    expect(await runs(h2.vim, 'signed-1')).toEqual([]);
  } finally {
    await h2.close();
  }
}, 60_000);
