// Hostile command fields end to end: a real agent process, a fake Java Generic VNFM, the real broker.
// Environment names and values with newlines and "=", path traversal in script names and payloads,
// and bodies beyond max_command_bytes. Every refusal is a reply with status 1 and a clear err, and
// nothing is written outside the script directory and nothing runs.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScriptEnv } from '../../src/commands/execute.js';
import { b64, saveScript, startAgentPair } from '../helpers/agent-pair.js';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('checkScriptEnv', () => {
  it('refuses control characters in names, accepts them in values', () => {
    expect(checkScriptEnv({ 'A\nPATH': '/x' })).toEqual(['environment variable name "A\\nPATH" contains a control character']);
    expect(checkScriptEnv({ 'A\tB': 'v', 'C\rD': 'v', 'E\u007fF': 'v' })).toHaveLength(3);
    expect(checkScriptEnv({ MULTI: 'line1\nline2=3\r\n\texport X=1' })).toEqual([]);
  });
});

describe.skipIf(SKIP_BROKER_TESTS)('hostile commands to a real agent over RabbitMQ', () => {
  it('passes values with newlines, "=" and shell syntax to the script byte for byte, without evaluating them', async () => {
    const pair = await startAgentPair('envvalues');
    // printf %s writes the value exactly; the marker file would only appear if a value were evaluated.
    await saveScript(pair, 'show.sh', 'printf "%s|" "$MULTI" "$EQ" "$INJECT"; printf "%s" "${EVIL-unset}"\n');
    const values = { MULTI: 'line1\nline2\n\nline4', EQ: 'a=b==c=', INJECT: `x\nexport EVIL=1\n$(touch ${pair.scriptsDir}/pwned) \`id\`` };
    const reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'show.sh', env: values });
    expect(reply.json).toEqual({ output: `${values.MULTI}|${values.EQ}|${values.INJECT}|unset`, err: '', status: 0 });
    expect(await exists(join(pair.scriptsDir, 'pwned'))).toBe(false);
  });

  it('refuses names with "=", NUL or a newline (naming the variable, never the value) and runs nothing', async () => {
    const pair = await startAgentPair('envnames');
    await saveScript(pair, 'mark.sh', 'touch "$SCRIPTS_PATH/ran"\n');
    for (const [name, reason] of [
      ['A=B', '"A=B" contains "="'],
      ['PATH=/tmp/evil:', 'contains "="'],
      ['X\nPATH', '"X\\nPATH" contains a control character'],
      ['X\0Y', 'contains a NUL byte'],
      ['', 'empty name'],
    ] as const) {
      const reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'mark.sh', env: { [name]: 'secret-value' } });
      expect(reply.json.status, JSON.stringify(name)).toBe(1);
      expect(reply.json.err).toMatch(/^EXECUTE refused: /);
      expect(reply.json.err).toContain(reason);
      expect(reply.json.err).not.toContain('secret-value');
    }
    expect(await exists(join(pair.scriptsDir, 'ran'))).toBe(false);
    // A clean command still runs.
    expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'mark.sh', env: { '1net': '10.0.0.1' } })).json.status).toBe(
      0,
    );
    expect(await exists(join(pair.scriptsDir, 'ran'))).toBe(true);
  });

  it('refuses path traversal in SAVE_SCRIPTS / SCRIPTS_UPDATE names and in EXECUTE payloads; nothing escapes, nothing runs', async () => {
    const pair = await startAgentPair('traversal');
    const parent = join(pair.scriptsDir, '..');
    await saveScript(pair, 'inside.sh', 'echo inside\n');
    const before = await readdir(parent);
    for (const action of ['SAVE_SCRIPTS', 'SCRIPTS_UPDATE']) {
      for (const name of [
        '../up.sh',
        '../../tmp/up.sh',
        '/tmp/abs.sh',
        'sub/../../up.sh',
        '..\\up.sh',
        '..',
        '.',
        '.bashrc',
        'a\0b.sh',
        'x'.repeat(256),
        '',
      ]) {
        const reply = await pair.vnfm.send(pair.hostname, {
          action,
          name,
          payload: b64('echo pwned\n'),
          'script-path': '/opt/openbaton/scripts',
        });
        expect(reply.json.status, `${action} ${JSON.stringify(name)}`).toBe(1);
        expect(reply.json.err).not.toBe('');
      }
    }
    for (const payload of [
      '../inside.sh',
      '../../../bin/sh -c id',
      '/bin/sh -c id',
      '/bin/bash',
      'sub/../../x.sh',
      '..',
      './../x.sh',
      '../../../usr/bin/python3.py',
      '',
    ]) {
      const reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload });
      expect(reply.json.status, JSON.stringify(payload)).toBe(1);
      expect(reply.json.err, JSON.stringify(payload)).toMatch(/^EXECUTE refused: /);
      expect(reply.json.output).toBe('');
    }
    expect(await readdir(parent)).toEqual(before);
    expect((await readdir(pair.scriptsDir)).sort()).toEqual(['inside.sh']);
  });

  it(`refuses a body beyond max_command_bytes with a clear err, writes nothing, and keeps serving`, async () => {
    const pair = await startAgentPair('oversized', { max_command_bytes: 1_048_576 });
    const big = randomBytes(900_000).toString('base64'); // 1.2 MB of base64
    const reply = await pair.vnfm.send(
      pair.hostname,
      { action: 'SAVE_SCRIPTS', name: 'big.bin', payload: big, 'script-path': '/opt/openbaton/scripts' },
      { timeoutMs: 30_000 },
    );
    expect(reply.json.status).toBe(1);
    expect(reply.json.err).toMatch(/^command refused: body of \d+ bytes exceeds max_command_bytes \(1048576\)$/);
    expect(await exists(join(pair.scriptsDir, 'big.bin'))).toBe(false);
    await waitFor(() => pair.agent.logged('oversized command refused'), { timeoutMs: 5_000, what: 'the refusal log line' });
    // Also when it is not even JSON, and a body just under the limit still works.
    expect((await pair.vnfm.send(pair.hostname, 'x'.repeat(2_000_000))).json.err).toContain('exceeds max_command_bytes');
    const fits = randomBytes(600_000);
    const saved = await pair.vnfm.send(pair.hostname, {
      action: 'SAVE_SCRIPTS',
      name: 'fits.bin',
      payload: fits.toString('base64'),
      'script-path': '/opt/openbaton/scripts',
    });
    expect(saved.json).toEqual({ output: "['fits.bin']", err: '', status: 0 });
    expect((await readFile(join(pair.scriptsDir, 'fits.bin'))).equals(fits)).toBe(true);
    expect(pair.agent.child.exitCode).toBeNull();
  });

  it('refuses a 64 MiB command under the default limit (16 MiB) and keeps serving', async () => {
    const pair = await startAgentPair('oversizeddefault');
    const command = { action: 'EXECUTE', payload: `x.sh ${'A'.repeat(64 * 1024 * 1024)}` };
    const reply = await pair.vnfm.send(pair.hostname, command, { timeoutMs: 60_000 });
    expect(reply.json.err).toBe(
      `command refused: body of ${Buffer.byteLength(JSON.stringify(command))} bytes exceeds max_command_bytes (16777216)`,
    );
    await saveScript(pair, 'ok.sh', 'echo ok\n');
    expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json.output).toBe('ok\n');
    expect(pair.agent.child.exitCode).toBeNull();
  }, 90_000);
});
