// Issue #15, "the environment must not become code", end to end: a real agent process, a fake
// VNFM and the real broker. EXECUTE env names that bash, the loader or an interpreter read as code
// (or as where code comes from) are refused with a reply naming the variable, and nothing runs;
// `allow_env` lets exactly the listed names through.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveScript, startAgentPair } from '../helpers/agent-pair.js';
import { SKIP_BROKER_TESTS } from '../helpers/broker.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe.skipIf(SKIP_BROKER_TESTS)('EXECUTE env names that would run code, on a real agent over RabbitMQ', () => {
  it('refuses BASH_ENV, BASH_FUNC_echo%%, LD_PRELOAD, PATH and NODE_OPTIONS, naming each; nothing runs, nothing is created', async () => {
    const pair = await startAgentPair('envcode');
    const dir = pair.scriptsDir;
    // The script uses echo and touch: an imported `echo` function or a `touch` found first on PATH would run instead.
    await saveScript(pair, 'mark.sh', 'echo ran >/dev/null; touch "$SCRIPTS_PATH/ran"\n');
    const evilBin = join(dir, '..', 'evil-bin');
    await mkdir(evilBin, { recursive: true });
    await writeFile(join(evilBin, 'touch'), `#!/bin/sh\n/usr/bin/env touch ${join(dir, '..', 'pwned-path')}\n`, { mode: 0o755 });
    await writeFile(
      join(dir, '..', 'hook.js'),
      `require('node:fs').writeFileSync(${JSON.stringify(join(dir, '..', 'pwned-node'))}, 'x');\n`,
    );
    const attacks: Record<string, string> = {
      BASH_ENV: `$(touch ${join(dir, '..', 'pwned-bash-env')})`,
      'BASH_FUNC_echo%%': `() { touch ${join(dir, '..', 'pwned-func')}; }`,
      LD_PRELOAD: join(dir, '..', 'evil.so'),
      PATH: `${evilBin}:/usr/bin:/bin`,
      NODE_OPTIONS: `--require ${join(dir, '..', 'hook.js')}`,
    };
    for (const [name, value] of Object.entries(attacks)) {
      const reply = await pair.vnfm.send(pair.hostname, {
        action: 'EXECUTE',
        payload: 'mark.sh',
        env: { hostname: pair.hostname, [name]: value },
      });
      expect(reply.json.status, name).not.toBe(0);
      expect(reply.json.err, name).toMatch(/^EXECUTE refused: /);
      expect(reply.json.err, name).toContain(`environment variable ${JSON.stringify(name)} is refused`);
      expect(reply.json.err, name).toContain('allow_env');
      expect(reply.json.err, name).not.toContain(value);
    }
    // All at once: every name is reported.
    const all = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'mark.sh', env: attacks });
    expect(all.json.status).not.toBe(0);
    for (const name of Object.keys(attacks)) expect(all.json.err).toContain(JSON.stringify(name));
    for (const marker of ['ran', '../pwned-path', '../pwned-node', '../pwned-bash-env', '../pwned-func']) {
      expect(await exists(join(dir, marker)), marker).toBe(false);
    }
    // Ordinary Open Baton variables (hostname, <net>, <net>_floatingIp, configuration keys, dependency parameters) still run.
    const clean = await pair.vnfm.send(pair.hostname, {
      action: 'EXECUTE',
      payload: 'mark.sh',
      env: {
        hostname: pair.hostname,
        private: '10.0.0.5',
        private_floatingIp: '172.24.4.9',
        MYSQL_ROOT_PASSWORD: 'pw',
        server_private: '10.0.0.7',
        '1net': '10.1.0.1',
      },
    });
    expect(clean.json).toMatchObject({ status: 0 });
    expect(await exists(join(dir, 'ran'))).toBe(true);
  });

  it('lets the names allow_env lists through, and only those', async () => {
    const pair = await startAgentPair('envallow', { allow_env: 'PATH' });
    await saveScript(pair, 'show-path.sh', 'printf "%s" "$PATH"\n');
    const path = '/opt/vnf/bin:/usr/local/bin:/usr/bin:/bin';
    const allowed = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'show-path.sh', env: { PATH: path } });
    expect(allowed.json).toEqual({ output: path, err: '', status: 0 });
    const marker = join(pair.scriptsDir, '..', 'pwned-allow');
    const refused = await pair.vnfm.send(pair.hostname, {
      action: 'EXECUTE',
      payload: 'show-path.sh',
      env: { PATH: path, BASH_ENV: `$(touch ${marker})` },
    });
    expect(refused.json.status).not.toBe(0);
    expect(refused.json.err).toContain('environment variable "BASH_ENV" is refused');
    expect(refused.json.err).not.toContain('"PATH"');
    expect(await exists(marker)).toBe(false);
  });
});
