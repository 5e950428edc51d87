// Signed commands (v3) over a real RabbitMQ: per-VM keys, the target queue and reply_to bound, the age checked
// first, signed replies, and the hello saying so.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPLY_SIGNATURE_HEADER, SIGNATURE_HEADER, deriveAgentKey, signCommand, verifyReplySignature } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { b64, startAgentPair, type AgentPair } from '../helpers/agent-pair.js';
import { runCli, writeConfig } from '../helpers/agent-process.js';
import { AMQP_URL, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { tempDir, uniqueHostname } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait-for.js';

/** The key the VMs of one VNFR share as `signing_key` (the Generic VNFM derives it from its master key). */
const VNFR_KEY = 'integration-vnfr-key-0123456789abcdef';

/** Signs `body` for `pair`'s VM as a VNFM holding {@link VNFR_KEY} does (reply_to: that pair's fake VNFM). */
function signFor(pair: AgentPair, input: { body: string; correlationId: string; signedAt?: number; replyTo?: string }): string {
  return signCommand(deriveAgentKey(VNFR_KEY, pair.hostname), {
    body: input.body,
    correlationId: input.correlationId,
    routingKey: `vnfm.${pair.hostname}.actions`,
    replyTo: input.replyTo ?? pair.vnfm.replyTo,
    ...(input.signedAt !== undefined ? { signedAt: input.signedAt } : {}),
  });
}

describe.skipIf(SKIP_BROKER_TESTS)('signed commands against a real RabbitMQ', () => {
  it("runs only commands signed for this VM: unsigned, v2, another VM's command and another reply_to are refused; replies are signed", async () => {
    const a = await startAgentPair('sign-a', { signing_key: VNFR_KEY });
    const b = await startAgentPair('sign-b', { signing_key: VNFR_KEY });
    expect(a.vnfm.hellos[0]).toMatchObject({ hostname: a.hostname, verifies: 'signature-v3' });
    const body = JSON.stringify({ action: 'SAVE_SCRIPTS', payload: b64('echo signed\n'), name: 'signed.sh' });

    const unsigned = await a.vnfm.send(a.hostname, body);
    expect(unsigned.json).toMatchObject({ status: 1, output: '', err: expect.stringMatching(/missing x-vnfkit-signature/) });
    // The v2 format (time, id, body; one shared key): refused even when its MAC is right.
    const at = Date.now();
    const v2 = `v2:${at}:${createHmac('sha256', VNFR_KEY).update(`vnfkit-ems-v2\n${at}\nc-v2\n`).update(body).digest('hex')}`;
    expect((await a.vnfm.send(a.hostname, body, { correlationId: 'c-v2', headers: { [SIGNATURE_HEADER]: v2 } })).json.err).toMatch(
      /v2 signatures are refused/,
    );

    // A command signed for A, captured and published to its sibling B (same VNFR key, same reply_to): refused.
    const headers = { [SIGNATURE_HEADER]: signFor(a, { body, correlationId: 'c-a' }) };
    b.vnfm.publishRaw(b.hostname, body, { correlationId: 'c-a', headers, replyTo: a.vnfm.replyTo });
    const atB = await a.vnfm.waitReply('c-a', 15_000);
    expect(atB.json).toMatchObject({ status: 1, output: '', err: expect.stringMatching(/x-vnfkit-signature: invalid signature/) });
    await expect(readFile(join(b.scriptsDir, 'signed.sh'))).rejects.toThrow(/ENOENT/);
    // B's refusal is signed with B's key, not A's.
    const bKey = deriveAgentKey(VNFR_KEY, b.hostname);
    expect(
      verifyReplySignature(bKey, {
        body: atB.body,
        correlationId: 'c-a',
        hostname: b.hostname,
        signature: atB.headers[REPLY_SIGNATURE_HEADER],
      }),
    ).toEqual({ ok: true });

    // The same command to A with another reply_to (whoever reads that queue would get the output): refused.
    const redirected = await b.vnfm.send(a.hostname, body, { correlationId: 'c-a', headers });
    expect(redirected.json).toMatchObject({ status: 1, output: '', err: expect.stringMatching(/invalid signature/) });

    // As signed: runs on A, and the reply carries A's signature over hostname, id and body.
    const ok = await a.vnfm.send(a.hostname, body, { correlationId: 'c-a', headers });
    expect(ok.json).toEqual({ output: "['signed.sh']", err: '', status: 0 });
    const aKey = deriveAgentKey(VNFR_KEY, a.hostname);
    expect(
      verifyReplySignature(aKey, {
        body: ok.body,
        correlationId: 'c-a',
        hostname: a.hostname,
        signature: ok.headers[REPLY_SIGNATURE_HEADER],
      }),
    ).toEqual({ ok: true });
    expect(
      verifyReplySignature(bKey, {
        body: ok.body,
        correlationId: 'c-a',
        hostname: b.hostname,
        signature: ok.headers[REPLY_SIGNATURE_HEADER],
      }).ok,
    ).toBe(false);
    await waitFor(() => a.agent.logs.some((line) => line.msg === 'unsigned, mis-signed or stale command refused'), {
      timeoutMs: 5_000,
      what: 'the refusal log line',
    });
  });

  it('checks the age before the execution records: a replay past max_command_age gets a refusal, never the recorded output', async () => {
    const a = await startAgentPair('sign-age', { signing_key: VNFR_KEY, max_command_age: 3 });
    const save = JSON.stringify({ action: 'SAVE_SCRIPTS', payload: b64('echo the-secret-output\n'), name: 'secret.sh' });
    expect(
      (
        await a.vnfm.send(a.hostname, save, {
          correlationId: 'c-save',
          headers: { [SIGNATURE_HEADER]: signFor(a, { body: save, correlationId: 'c-save' }) },
        })
      ).json.status,
    ).toBe(0);
    const exec = JSON.stringify({ action: 'EXECUTE', payload: 'secret.sh' });
    const signedAt = Date.now();
    const headers = { [SIGNATURE_HEADER]: signFor(a, { body: exec, correlationId: 'c-exec', signedAt }) };
    const first = await a.vnfm.send(a.hostname, exec, { correlationId: 'c-exec', headers });
    expect(first.json).toEqual({ output: 'the-secret-output\n', err: '', status: 0 });
    // Within max_command_age the unchanged repeat is answered from the record (the VNFM's own re-send).
    expect((await a.vnfm.send(a.hostname, exec, { correlationId: 'c-exec', headers })).json).toEqual(first.json);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedAt + 4_000 - Date.now())));
    const late = await a.vnfm.send(a.hostname, exec, {
      correlationId: 'c-exec',
      headers: { ...headers, 'x-vnfkit-dedup': 'correlation-id' },
    });
    expect(late.json).toMatchObject({ status: 1, output: '', err: expect.stringMatching(/longer than max_command_age \(3 s\)/) });
  });

  it('refuses to start with require_signing and no signing_key; warns when it runs without a key', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      amqp_url: AMQP_URL,
      hostname: uniqueHostname('sign-req'),
      type: 't',
      scripts_dir: join(dir, 's'),
      state_dir: join(dir, 'st'),
      require_signing: true,
    });
    const refused = await runCli(['--config', config]);
    expect(refused.code).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/require_signing: set, but there is no signing_key/);
    const keyless = await startAgentPair('sign-none');
    await waitFor(() => keyless.agent.logs.some((line) => /no signing_key/.test(String(line.msg)) && line.level === 40), {
      timeoutMs: 5_000,
      what: 'the warning about the missing signing_key',
    });
    expect(keyless.vnfm.hellos[0]).not.toHaveProperty('verifies');
  });
});
