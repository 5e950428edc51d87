import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEDUP_HEADER,
  REPLY_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  deriveAgentKey,
  signCommand,
  verifyReplySignature,
} from '@vnfkit/protocol';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createAgent, scriptBaseEnv } from '../src/agent.js';
import type { Agent } from '../src/agent.js';
import { INTERRUPTED_ERR } from '../src/command-handler.js';
import type { ScriptRunner, ScriptRunRequest } from '../src/exec.js';
import { processRunner } from '../src/exec.js';
import { b64, testConfig } from './helpers/agent-config.js';
import { FakeTransport } from './helpers/fake-transport.js';
import { tempDir } from './helpers/temp.js';

const REPLY_TO = 'amq.rabbitmq.reply-to.test';

async function startAgent(
  overrides: Parameters<typeof testConfig>[0] = {},
  runner: ScriptRunner = processRunner,
): Promise<{ agent: Agent; link: FakeTransport; config: Awaited<ReturnType<typeof testConfig>> }> {
  const config = await testConfig(overrides);
  const link = new FakeTransport();
  const agent = await createAgent({ config, transport: link, runner, env: { PATH: process.env.PATH, VNFKIT_EMS_PASSWORD: 'hidden' } });
  onTestFinished(() => agent.close());
  await agent.start();
  return { agent, link, config };
}

function command(body: unknown, correlationId = `c-${Math.random().toString(16).slice(2)}`) {
  return { body: JSON.stringify(body), properties: { replyTo: REPLY_TO, correlationId, contentType: 'text/plain' } };
}

/** A runner that counts runs and answers without spawning anything. */
function countingRunner(): ScriptRunner & { calls: ScriptRunRequest[] } {
  const calls: ScriptRunRequest[] = [];
  return {
    calls,
    run: async (request) => {
      calls.push(request);
      return {
        status: 0,
        stdout: `run ${calls.length}\n`,
        stderr: '',
        timedOut: false,
        canceled: false,
        stdoutTruncated: false,
        stderrTruncated: false,
        durationMs: 1,
      };
    },
  };
}

/** An agent with `signing_key` (and `overrides`), a counting runner and a script `x.sh`. */
async function startSigningAgent(overrides: Parameters<typeof testConfig>[0] = {}) {
  const key = 'k'.repeat(32);
  const runner = countingRunner();
  const started = await startAgent({ signing_key: key, ...overrides }, runner);
  await mkdir(started.config.scripts_dir, { recursive: true });
  await writeFile(join(started.config.scripts_dir, 'x.sh'), 'true\n');
  return { ...started, key, runner, sign: signerFor(key, started.config.hostname) };
}

/** Signs commands the way a VNFM holding `key` (the agent's `signing_key`) does for `hostname` (v3, reply_to REPLY_TO). */
function signerFor(key: string, hostname: string) {
  return (input: { body: string; correlationId: string; signedAt?: number; replyTo?: string }) =>
    signCommand(deriveAgentKey(key, hostname), { replyTo: REPLY_TO, ...input, routingKey: `vnfm.${hostname}.actions` });
}

describe('agent (in-process, memory link)', () => {
  it('declares and binds vnfm.<hostname>.actions, never declares the register queue, consumes with prefetch 1, says hello', async () => {
    const { agent, link, config } = await startAgent({ autodelete: false });
    const queue = `vnfm.${config.hostname}.actions`;
    expect(agent.queue).toBe(queue);
    expect(agent.state).toBe('running');
    expect([...link.queues.keys()]).toEqual([queue]);
    expect(link.queues.get(queue)).toMatchObject({ autoDelete: false, durable: false });
    expect(link.bindings).toEqual([{ queue, exchange: 'openbaton-exchange', routingKey: queue }]);
    expect(link.consumeOptions.get(queue)?.prefetch).toBe(1);
    expect(link.published).toEqual([
      {
        exchange: '',
        routingKey: 'ems.test.register',
        body: JSON.stringify({ hostname: config.hostname, deduplicates: 'correlation-id', bundles: 'v2' }),
        properties: expect.objectContaining({ contentType: 'text/plain' }),
      },
    ]);
  });

  it('re-sends the hello after every reconnect and stops after close', async () => {
    const { agent, link } = await startAgent();
    link.emit('connected');
    link.emit('connected');
    expect(link.repliesTo('ems.test.register')).toHaveLength(3);
    await agent.close();
    expect(agent.state).toBe('closed');
    expect(link.listenerCount('connected')).toBe(0);
    expect(link.consuming(agent.queue)).toBe(false);
    expect(link.closed).toBe(false); // a passed transport belongs to the caller
  });

  it('saves and executes end to end, replying text/plain with the correlation id', async () => {
    const { agent, link } = await startAgent();
    const save = command(
      {
        action: 'SAVE_SCRIPTS',
        payload: b64('echo "hi $name from $SCRIPTS_PATH"\n'),
        name: 'hi.sh',
        'script-path': '/opt/openbaton/scripts',
      },
      'corr-save',
    );
    expect(await link.deliver(agent.queue, save.body, { properties: save.properties })).toBe('ack');
    const exec = command({ action: 'EXECUTE', payload: 'hi.sh', env: { name: 'vnfkit' } }, 'corr-exec');
    expect(await link.deliver(agent.queue, exec.body, { properties: exec.properties })).toBe('ack');
    const replies = link.published.filter((p) => p.routingKey === REPLY_TO);
    expect(replies.map((r) => [r.properties.correlationId, r.properties.contentType])).toEqual([
      ['corr-save', 'text/plain'],
      ['corr-exec', 'text/plain'],
    ]);
    expect(JSON.parse(replies[0]?.body ?? '')).toEqual({ output: "['hi.sh']", err: '', status: 0 });
    expect(JSON.parse(replies[1]?.body ?? '')).toEqual({ output: `hi vnfkit from ${agent.config.scripts_dir}\n`, err: '', status: 0 });
  });

  it('does not pass VNFKIT_EMS_* variables of the agent to scripts', () => {
    expect(scriptBaseEnv({ PATH: '/bin', VNFKIT_EMS_PASSWORD: 'x', VNFKIT_EMS_SIGNING_KEY: 'y', UNSET: undefined })).toEqual({
      PATH: '/bin',
    });
  });

  it('replies status 1 to an unknown action, a non-JSON body and an invalid command', async () => {
    const { agent, link } = await startAgent();
    const cases: [string, RegExp][] = [
      [JSON.stringify({ action: 'REPO_SCRIPTS_UPDATE', payload: 'x' }), /unknown action "REPO_SCRIPTS_UPDATE"/],
      ['this is not json', /not JSON/],
      [JSON.stringify({ action: 'SAVE_SCRIPTS', payload: 'eA==' }), /SAVE_SCRIPTS: at name/],
      ['null', /expected a JSON object/],
    ];
    for (const [body, reason] of cases) {
      expect(await link.deliver(agent.queue, body, { properties: { replyTo: REPLY_TO, correlationId: 'x' } })).toBe('ack');
      const reply = link.repliesTo(REPLY_TO).at(-1) as { output: string; err: string; status: number };
      expect(reply.status).toBe(1);
      expect(reply.output).toBe('');
      expect(reply.err).toMatch(reason);
    }
  });

  it('acks a command without reply_to after running it, publishing nothing', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'x.sh'), 'true\n');
    const before = link.published.length;
    expect(await link.deliver(agent.queue, JSON.stringify({ action: 'EXECUTE', payload: 'x.sh' }))).toBe('ack');
    expect(runner.calls).toHaveLength(1);
    expect(link.published.length).toBe(before);
  });

  it('answers a redelivered, already finished EXECUTE from the record instead of running it again', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'once.sh'), 'true\n');
    const exec = command({ action: 'EXECUTE', payload: 'once.sh' }, 'corr-once');
    // First delivery: the reply goes out, then the "connection dies" before the ack → broker redelivers.
    await link.deliver(agent.queue, exec.body, { properties: exec.properties });
    await link.deliver(agent.queue, exec.body, { properties: exec.properties, redelivered: true });
    expect(runner.calls).toHaveLength(1);
    const replies = link.repliesTo(REPLY_TO);
    expect(replies).toEqual([
      { output: 'run 1\n', err: '', status: 0 },
      { output: 'run 1\n', err: '', status: 0 },
    ]);
    const records = await readdir(join(config.state_dir, 'executions'));
    expect(records).toEqual(['slot-0.json']);
    const record = JSON.parse(await readFile(join(config.state_dir, 'executions', 'slot-0.json'), 'utf8')) as {
      key: string;
      state: string;
    };
    expect(record).toMatchObject({ key: 'corr-once', state: 'finished' });
  });

  it('runs a redelivered command whose id matches but whose body differs, and one that is neither redelivered nor marked for dedup', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'a.sh'), 'true\n');
    await writeFile(join(config.scripts_dir, 'b.sh'), 'true\n');
    const first = command({ action: 'EXECUTE', payload: 'a.sh' }, 'reused-id');
    await link.deliver(agent.queue, first.body, { properties: first.properties });
    const other = command({ action: 'EXECUTE', payload: 'b.sh' }, 'reused-id');
    await link.deliver(agent.queue, other.body, { properties: other.properties, redelivered: true });
    // Only a marking VNFM promises unique ids: an unmarked id and body alone never suppress a command.
    await link.deliver(agent.queue, other.body, { properties: other.properties });
    expect(runner.calls.map((c) => c.label)).toEqual(['a.sh', 'b.sh', 'b.sh']);
  });

  it('never takes a command without a correlation id (the Java Generic VNFM sends none) for a repeat, even redelivered, and replies without an id', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'a.sh'), 'true\n');
    const body = JSON.stringify({ action: 'EXECUTE', payload: 'a.sh' });
    const properties = { replyTo: REPLY_TO, contentType: 'text/plain' };
    await link.deliver(agent.queue, body, { properties });
    await link.deliver(agent.queue, body, { properties, redelivered: true });
    await link.deliver(agent.queue, body, { properties: { ...properties, headers: { [DEDUP_HEADER]: 'correlation-id' } } });
    expect(runner.calls.map((c) => c.label)).toEqual(['a.sh', 'a.sh', 'a.sh']);
    expect(link.published.filter((p) => p.routingKey === REPLY_TO).map((p) => p.properties.correlationId)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('answers a command the VNFM sent again (same id and body, marked for dedup, not redelivered) from the record, as its hello promises', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'once.sh'), 'true\n');
    const marked = (c: ReturnType<typeof command>) => ({
      ...c,
      properties: { ...c.properties, headers: { [DEDUP_HEADER]: 'correlation-id' } },
    });
    const exec = marked(command({ action: 'EXECUTE', payload: 'once.sh' }, 'corr-again'));
    // Both copies are in the queue at once (the first reply was lost in the broker, say): the repeat waits
    // for the first run, then finds its record.
    const [a, b] = await Promise.all([
      link.deliver(agent.queue, exec.body, { properties: exec.properties }),
      link.deliver(agent.queue, exec.body, { properties: exec.properties }),
    ]);
    expect([a, b]).toEqual(['ack', 'ack']);
    expect(runner.calls).toHaveLength(1);
    expect(link.repliesTo(REPLY_TO)).toEqual([
      { output: 'run 1\n', err: '', status: 0 },
      { output: 'run 1\n', err: '', status: 0 },
    ]);
    // A repeat of a run cut short by an agent restart is refused the same way as a redelivery.
    const { createExecutionStore, hashBody } = await import('../src/execution-store.js');
    const state = join(await tempDir('vnfkit-agent-state-'), 'state');
    const crashed = await createExecutionStore({ dir: join(state, 'executions') });
    const cut = marked(command({ action: 'EXECUTE', payload: 'once.sh' }, 'corr-cut'));
    await crashed.markStarted({ key: 'corr-cut', bodyHash: hashBody(Buffer.from(cut.body)), action: 'EXECUTE' });
    crashed.close();
    const restarted = await startAgent({ state_dir: state }, runner);
    await restarted.link.deliver(restarted.agent.queue, cut.body, { properties: cut.properties });
    expect(runner.calls).toHaveLength(1);
    expect(restarted.link.repliesTo(REPLY_TO)).toEqual([{ output: '', err: INTERRUPTED_ERR, status: 1 }]);
  });

  it('answers a redelivered EXECUTE that was interrupted by a crash with status 1, without running it', async () => {
    const runner = countingRunner();
    const exec = command({ action: 'EXECUTE', payload: 'crashy.sh' }, 'corr-crash');
    // The agent that crashed: it had recorded the command as started, nothing more.
    const { createExecutionStore, hashBody } = await import('../src/execution-store.js');
    const state = join(await tempDir('vnfkit-agent-state-'), 'state');
    const crashed = await createExecutionStore({ dir: join(state, 'executions') });
    await crashed.markStarted({ key: 'corr-crash', bodyHash: hashBody(Buffer.from(exec.body)), action: 'EXECUTE' });
    crashed.close();
    const { agent, link } = await startAgent({ state_dir: state }, runner);
    await link.deliver(agent.queue, exec.body, { properties: exec.properties, redelivered: true });
    expect(runner.calls).toHaveLength(0);
    expect(link.repliesTo(REPLY_TO)).toEqual([{ output: '', err: INTERRUPTED_ERR, status: 1 }]);
  });

  it('nacks when the reply cannot be published, and the redelivery is answered from the record', async () => {
    const runner = countingRunner();
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'x.sh'), 'true\n');
    const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, 'corr-nack');
    link.failPublish = true;
    expect(await link.deliver(agent.queue, exec.body, { properties: exec.properties })).toBe('nack');
    link.failPublish = false;
    expect(await link.deliver(agent.queue, exec.body, { properties: exec.properties, redelivered: true })).toBe('ack');
    expect(runner.calls).toHaveLength(1);
    expect(link.repliesTo(REPLY_TO)).toEqual([{ output: 'run 1\n', err: '', status: 0 }]);
  });

  it("requires a valid v3 signature with this VM's key when signing_key is set: over body, correlation id, time, queue and reply_to", async () => {
    const { agent, link, key, runner, sign, config } = await startSigningAgent();
    const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, 'corr-signed');
    const signed = (signature: string | Buffer, correlationId = 'corr-signed') => ({
      properties: { ...exec.properties, correlationId, headers: { [SIGNATURE_HEADER]: signature } },
    });
    await link.deliver(agent.queue, exec.body, { properties: exec.properties });
    await link.deliver(
      agent.queue,
      exec.body,
      signed(signerFor('another-key-0123456789', config.hostname)({ body: exec.body, correlationId: 'corr-signed' })),
    );
    await link.deliver(agent.queue, exec.body, signed(sign({ body: `${exec.body} `, correlationId: 'corr-signed' })));
    // A valid signature moved onto another correlation id.
    await link.deliver(agent.queue, exec.body, signed(sign({ body: exec.body, correlationId: 'corr-signed' }), 'corr-other'));
    // The body-only signatures of earlier versions, and v2 (time and id, but no queue, no reply_to, one shared key).
    await link.deliver(agent.queue, exec.body, signed('0'.repeat(64)));
    const v2 = `v2:${Date.now()}:${'0'.repeat(64)}`;
    await link.deliver(agent.queue, exec.body, signed(v2));
    // Signed for a sibling VM (same signing_key, another hostname): that VM's key, that VM's queue.
    await link.deliver(agent.queue, exec.body, signed(signerFor(key, 'sibling-2')({ body: exec.body, correlationId: 'corr-signed' })));
    // The VM's key used directly, but for the sibling's queue.
    await link.deliver(
      agent.queue,
      exec.body,
      signed(
        signCommand(deriveAgentKey(key, config.hostname), {
          body: exec.body,
          correlationId: 'corr-signed',
          routingKey: 'vnfm.sibling-2.actions',
          replyTo: REPLY_TO,
        }),
      ),
    );
    // Signed for another reply_to (the reply would go to whoever consumes that queue).
    await link.deliver(
      agent.queue,
      exec.body,
      signed(sign({ body: exec.body, correlationId: 'corr-signed', replyTo: 'vnfkit.reply.vnfm' })),
    );
    expect(runner.calls).toHaveLength(0);
    const refusals = link.repliesTo(REPLY_TO) as { err: string; status: number }[];
    expect(refusals.map((r) => r.status)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(refusals[0]?.err).toMatch(/missing x-vnfkit-signature header/);
    for (const i of [1, 2, 3, 6, 7, 8]) expect(refusals[i]?.err).toMatch(/x-vnfkit-signature: invalid signature/);
    expect(refusals[4]?.err).toMatch(/x-vnfkit-signature: not a v3 signature/);
    expect(refusals[5]?.err).toMatch(/x-vnfkit-signature: v2 signatures are refused/);
    await link.deliver(agent.queue, exec.body, signed(Buffer.from(sign({ body: exec.body, correlationId: 'corr-signed' }))));
    expect(runner.calls).toHaveLength(1);
    expect((link.repliesTo(REPLY_TO).at(-1) as { status: number }).status).toBe(0);
  });

  it("signs every reply (refusals too) with this VM's key over hostname, correlation id and body; says so in its hello", async () => {
    const { agent, link, key, sign, config } = await startSigningAgent();
    expect(link.repliesTo('ems.test.register')).toEqual([
      { hostname: config.hostname, deduplicates: 'correlation-id', bundles: 'v2', verifies: 'signature-v3' },
    ]);
    const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, 'corr-r');
    await link.deliver(agent.queue, exec.body, { properties: exec.properties });
    await link.deliver(agent.queue, exec.body, {
      properties: { ...exec.properties, headers: { [SIGNATURE_HEADER]: sign({ body: exec.body, correlationId: 'corr-r' }) } },
    });
    const replies = link.published.filter((m) => m.routingKey === REPLY_TO);
    expect(replies).toHaveLength(2);
    for (const reply of replies) {
      const signature = reply.properties?.headers?.[REPLY_SIGNATURE_HEADER];
      expect(
        verifyReplySignature(deriveAgentKey(key, config.hostname), {
          body: reply.body,
          correlationId: 'corr-r',
          hostname: config.hostname,
          signature,
        }),
      ).toEqual({ ok: true });
      expect(
        verifyReplySignature(deriveAgentKey(key, 'sibling-2'), {
          body: reply.body,
          correlationId: 'corr-r',
          hostname: 'sibling-2',
          signature,
        }).ok,
      ).toBe(false);
    }
  });

  it('without a key: unsigned replies, no "verifies" in the hello; require_signing without a key refuses to start', async () => {
    const { agent, link } = await startAgent();
    expect(link.repliesTo('ems.test.register')[0]).not.toHaveProperty('verifies');
    const exec = command({ action: 'EXECUTE', payload: 'missing.sh' });
    await link.deliver(agent.queue, exec.body, { properties: exec.properties });
    expect(link.published.find((m) => m.routingKey === REPLY_TO)?.properties?.headers?.[REPLY_SIGNATURE_HEADER]).toBeUndefined();
    await expect(startAgent({ require_signing: true })).rejects.toThrow(/require_signing: set, but there is no signing_key/);
  });

  it('refuses replays of signed commands: too old, signed in the future, or an id that already ran; a repeat with a record is answered from it', async () => {
    const { agent, link, runner, sign } = await startSigningAgent({ max_command_age: 60 });
    const send = async (correlationId: string, signedAt = Date.now()) => {
      const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, correlationId);
      const headers = { [SIGNATURE_HEADER]: sign({ body: exec.body, correlationId, signedAt }) };
      await link.deliver(agent.queue, exec.body, { properties: { ...exec.properties, headers } });
      return { reply: link.repliesTo(REPLY_TO).at(-1) as { output: string; err: string; status: number }, headers, exec };
    };
    const first = await send('c-first');
    expect(first.reply.status).toBe(0);
    // The same message again (captured and replayed, or re-sent by the VNFM): answered from the record, not run.
    await link.deliver(agent.queue, first.exec.body, { properties: { ...first.exec.properties, headers: first.headers } });
    expect(link.repliesTo(REPLY_TO).at(-1)).toEqual(first.reply);
    expect(runner.calls).toHaveLength(1);
    expect((await send('c-old', Date.now() - 61_000)).reply.err).toMatch(/signed 61 s ago, longer than max_command_age \(60 s\)/);
    expect((await send('c-future', Date.now() + 3_600_000)).reply.err).toMatch(/in the future/);
    expect(runner.calls).toHaveLength(1);
    // 64 more commands push c-first out of the execution records; its replay is still refused, by id.
    for (let i = 0; i < 64; i++) expect((await send(`c-${i}`)).reply.status).toBe(0);
    await link.deliver(agent.queue, first.exec.body, { properties: { ...first.exec.properties, headers: first.headers } });
    expect((link.repliesTo(REPLY_TO).at(-1) as { err: string }).err).toMatch(/correlation id was already used .* \(a replay\)/);
    expect(runner.calls).toHaveLength(65);
  });

  it('still refuses a replay after an agent restart, when the command is no longer among the execution records', async () => {
    const first = await startSigningAgent();
    const { key, runner, config, sign } = first;
    const signedAt = Date.now();
    const send = async (target: typeof first, correlationId: string) => {
      const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, correlationId);
      const headers = { [SIGNATURE_HEADER]: sign({ body: exec.body, correlationId, signedAt }) };
      await target.link.deliver(target.agent.queue, exec.body, { properties: { ...exec.properties, headers } });
      return target.link.repliesTo(REPLY_TO).at(-1) as { err: string; status: number };
    };
    // Well within max_command_age: only the used ids can stop the replay.
    for (let i = 0; i < 65; i++) expect((await send(first, `c-${i}`)).status).toBe(0);
    await first.agent.close();
    const restarted = {
      ...first,
      ...(await startAgent(
        { signing_key: key, state_dir: config.state_dir, scripts_dir: config.scripts_dir, hostname: config.hostname },
        runner,
      )),
    };
    expect((await send(restarted, 'c-0')).err).toMatch(/correlation id was already used/);
    expect((await send(restarted, 'c-new')).status).toBe(0);
    expect(runner.calls).toHaveLength(66);
  });

  it('re-runs a signed idempotent command cut short by an agent restart when the VNFM sends it again (not a replay)', async () => {
    const first = await startSigningAgent();
    const { key, runner, config, sign } = first;
    const save = command({ action: 'SAVE_SCRIPTS', payload: b64('true\n'), name: 'y.sh' }, 'c-save');
    const headers = { [SIGNATURE_HEADER]: sign({ body: save.body, correlationId: 'c-save' }) };
    // The first agent admitted and started it, then died before it finished: started record, used id, no reply.
    const { ReplayGuard } = await import('../src/internal/replay-guard.js');
    new ReplayGuard({ maxAgeMs: 1_200_000, file: join(config.state_dir, 'signed-commands') }).admit('c-save', Date.now());
    await first.agent.close();
    const { createExecutionStore, hashBody } = await import('../src/execution-store.js');
    const crashed = await createExecutionStore({ dir: join(config.state_dir, 'executions') });
    await crashed.markStarted({ key: 'c-save', bodyHash: hashBody(Buffer.from(save.body)), action: 'SAVE_SCRIPTS' });
    crashed.close();
    const restarted = await startAgent(
      { signing_key: key, state_dir: config.state_dir, scripts_dir: config.scripts_dir, hostname: config.hostname },
      runner,
    );
    await restarted.link.deliver(restarted.agent.queue, save.body, { properties: { ...save.properties, headers } });
    expect(restarted.link.repliesTo(REPLY_TO).at(-1)).toMatchObject({ status: 0 });
    expect(await readFile(join(config.scripts_dir, 'y.sh'), 'utf8')).toBe('true\n');
  });

  it('checks the age first: a replay past max_command_age gets a refusal, not the recorded reply (redelivered or marked as a repeat too)', async () => {
    // Only Date is faked, before the agent starts (its replay guard reads Date.now).
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { agent, link, runner, sign } = await startSigningAgent({ max_command_age: 60 });
    const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, 'c-secret');
    const headers = { [SIGNATURE_HEADER]: sign({ body: exec.body, correlationId: 'c-secret' }) };
    await link.deliver(agent.queue, exec.body, { properties: { ...exec.properties, headers } });
    expect(link.repliesTo(REPLY_TO).at(-1)).toMatchObject({ status: 0, output: 'run 1\n' });
    vi.setSystemTime(Date.now() + 61_000);
    // The same message, unchanged: its record still exists, but it is too old now.
    await link.deliver(agent.queue, exec.body, { properties: { ...exec.properties, headers } });
    expect(link.repliesTo(REPLY_TO).at(-1)).toMatchObject({
      status: 1,
      output: '',
      err: expect.stringMatching(/signed 61 s ago, longer than max_command_age/),
    });
    // Redelivered or marked as a repeat: the same.
    await link.deliver(agent.queue, exec.body, {
      properties: { ...exec.properties, headers: { ...headers, [DEDUP_HEADER]: 'correlation-id' } },
      redelivered: true,
    });
    expect(link.repliesTo(REPLY_TO).at(-1)).toMatchObject({ status: 1, output: '' });
    expect(runner.calls).toHaveLength(1);
  });

  it('checks the age first also for an interrupted idempotent command: not re-run once too old', async () => {
    const first = await startSigningAgent();
    const { key, runner, config, sign } = first;
    const save = command({ action: 'SAVE_SCRIPTS', payload: b64('true\n'), name: 'y.sh' }, 'c-save-old');
    const headers = { [SIGNATURE_HEADER]: sign({ body: save.body, correlationId: 'c-save-old', signedAt: Date.now() - 1_300_000 }) };
    await first.agent.close();
    const { createExecutionStore, hashBody } = await import('../src/execution-store.js');
    const crashed = await createExecutionStore({ dir: join(config.state_dir, 'executions') });
    await crashed.markStarted({ key: 'c-save-old', bodyHash: hashBody(Buffer.from(save.body)), action: 'SAVE_SCRIPTS' });
    crashed.close();
    const restarted = await startAgent(
      { signing_key: key, state_dir: config.state_dir, scripts_dir: config.scripts_dir, hostname: config.hostname },
      runner,
    );
    await restarted.link.deliver(restarted.agent.queue, save.body, { properties: { ...save.properties, headers }, redelivered: true });
    expect(restarted.link.repliesTo(REPLY_TO).at(-1)).toMatchObject({
      status: 1,
      err: expect.stringMatching(/longer than max_command_age/),
    });
    await expect(readFile(join(config.scripts_dir, 'y.sh'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('with max_command_age = 0 accepts a signed command of any age', async () => {
    const { agent, link, runner, sign } = await startSigningAgent({ max_command_age: 0 });
    const exec = command({ action: 'EXECUTE', payload: 'x.sh' }, 'c-ancient');
    await link.deliver(agent.queue, exec.body, {
      properties: {
        ...exec.properties,
        headers: { [SIGNATURE_HEADER]: sign({ body: exec.body, correlationId: 'c-ancient', signedAt: 1 }) },
      },
    });
    expect(runner.calls).toHaveLength(1);
  });

  it('processes commands one at a time', async () => {
    let running = 0;
    let maxRunning = 0;
    const runner: ScriptRunner = {
      run: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        return {
          status: 0,
          stdout: '',
          stderr: '',
          timedOut: false,
          canceled: false,
          stdoutTruncated: false,
          stderrTruncated: false,
          durationMs: 0,
        };
      },
    };
    const { agent, link, config } = await startAgent({}, runner);
    await mkdir(config.scripts_dir, { recursive: true });
    await writeFile(join(config.scripts_dir, 'x.sh'), 'true\n');
    await Promise.all(
      [1, 2, 3].map((n) =>
        link.deliver(agent.queue, command({ action: 'EXECUTE', payload: 'x.sh' }, `p-${n}`).body, {
          properties: { replyTo: REPLY_TO, correlationId: `p-${n}` },
        }),
      ),
    );
    expect(maxRunning).toBe(1);
    expect(await readdir(join(config.state_dir, 'executions'))).toHaveLength(3);
  });
});
