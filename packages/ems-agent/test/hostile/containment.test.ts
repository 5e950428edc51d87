// Containment and resources on a real agent process over the real broker (issue #15): output a
// background process writes after the reply, large SAVE_SCRIPTS payloads, limits on stored scripts,
// the OOM score and environment scripts inherit, and the modes of the files the agent writes.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { b64, rssMiB, saveScript, startAgentPair } from '../helpers/agent-pair.js';
import { spawnAgent, writeConfig } from '../helpers/agent-process.js';
import { AMQP_URL, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { tempDir, uniqueHostname } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Gives the agent process the unit's OOMScoreAdjust=-500. Lowering a score needs CAP_SYS_RESOURCE, which
 * some containers withhold even from root; there the agent gets +500 instead, which the scripts must
 * not inherit either.
 */
function setOomScore(pid: number): string {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, '-500');
    return '-500';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    writeFileSync(`/proc/${pid}/oom_score_adj`, '500');
    return '500';
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe.skipIf(SKIP_BROKER_TESTS)('containment and resources of a real agent', () => {
  it('discards what a background process writes after the reply (64 MiB later → RSS stays flat)', async () => {
    const pair = await startAgentPair('latewriter');
    const pid = pair.agent.child.pid ?? 0;
    const done = join(pair.scriptsDir, 'writer-done');
    // The writer waits until the reply is out, then writes 64 MiB to the inherited stdout.
    await saveScript(pair, 'late.sh', `( sleep 1; head -c ${64 * 1024 * 1024} /dev/zero | tr '\\0' x; touch "${done}" ) &\necho started\n`);
    await saveScript(pair, 'ok.sh', 'echo ok\n');
    expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json.status).toBe(0);
    const before = await rssMiB(pid);
    let max = before;
    const sampler = setInterval(() => {
      rssMiB(pid).then(
        (rss) => {
          max = Math.max(max, rss);
        },
        () => undefined,
      );
    }, 25);
    try {
      const reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'late.sh' });
      expect(reply.json).toEqual({ output: 'started\n', err: '', status: 0 });
      await waitFor(() => exists(done), { timeoutMs: 60_000, what: 'the background writer to finish' });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      clearInterval(sampler);
    }
    console.log(`late writer: agent RSS ${before.toFixed(0)} MiB before, max ${max.toFixed(0)} MiB`);
    expect(max - before).toBeLessThan(16);
    expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json.output).toBe('ok\n');
  }, 90_000);

  it('saves a 10 MiB script (the base64 check overflowed the stack above ~3.2 MiB) and runs it', async () => {
    const pair = await startAgentPair('bigscript');
    const body = `echo big-ok\n: <<'PAD'\n${randomBytes(7.5 * 1024 * 1024).toString('base64')}\nPAD\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(10 * 1024 * 1024);
    const reply = await pair.vnfm.send(
      pair.hostname,
      { action: 'SAVE_SCRIPTS', name: 'big.sh', payload: b64(body), 'script-path': '/opt/openbaton/scripts' },
      { timeoutMs: 60_000 },
    );
    expect(reply.json).toEqual({ output: "['big.sh']", err: '', status: 0 });
    expect(await readFile(join(pair.scriptsDir, 'big.sh'), 'utf8')).toBe(body);
    expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'big.sh' })).json).toEqual({
      output: 'big-ok\n',
      err: '',
      status: 0,
    });
  }, 90_000);

  it('refuses scripts beyond max_scripts and max_scripts_bytes with status 1, naming the limit', async () => {
    const pair = await startAgentPair('storelimits', { max_scripts: 2, max_scripts_bytes: 2048 });
    await saveScript(pair, 'a.sh', 'echo a\n');
    await saveScript(pair, 'b.sh', 'echo b\n');
    const third = await pair.vnfm.send(pair.hostname, { action: 'SAVE_SCRIPTS', name: 'c.sh', payload: b64('echo c\n') });
    expect(third.json).toEqual({
      output: '',
      err: 'SAVE_SCRIPTS of "c.sh" refused: the script directory would hold 3 files, above max_scripts (2)',
      status: 1,
    });
    const big = await pair.vnfm.send(pair.hostname, { action: 'SCRIPTS_UPDATE', name: 'b.sh', payload: b64('x'.repeat(4096)) });
    expect(big.json.status).toBe(1);
    expect(big.json.err).toMatch(/above max_scripts_bytes \(2048\)$/);
    expect((await readdir(pair.scriptsDir)).sort()).toEqual(['a.sh', 'b.sh']);
    expect(await readFile(join(pair.scriptsDir, 'b.sh'), 'utf8')).toBe('echo b\n');
  });

  it('starts scripts with oom_score_adj 0 and without NODE_ENV, though the agent runs with -500 and NODE_ENV=production', async () => {
    let agentScore = '';
    const pair = await startAgentPair(
      'oomenv',
      {},
      {
        env: { NODE_ENV: 'production', INVOCATION_ID: 'agent-invocation' },
        onSpawn: (pid) => {
          agentScore = setOomScore(pid);
        },
      },
    );
    const pid = pair.agent.child.pid ?? 0;
    expect((await readFile(`/proc/${pid}/oom_score_adj`, 'utf8')).trim()).toBe(agentScore);
    // The daemon a script leaves behind gets the same: it is what the OOM killer should pick before the agent.
    const daemonFile = join(pair.scriptsDir, 'daemon-view');
    await saveScript(
      pair,
      'show.sh',
      `echo "oom=$(cat /proc/self/oom_score_adj) env=[$NODE_ENV] inv=[$INVOCATION_ID] args=[$1|$2]"\n( echo "daemon oom=$(cat /proc/self/oom_score_adj) env=[$NODE_ENV]" > "${daemonFile}" ) &\n`,
    );
    const reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'show.sh $HOME "a;b"' });
    expect(reply.json).toEqual({ output: 'oom=0 env=[] inv=[] args=[$HOME|"a;b"]\n', err: '', status: 0 });
    await waitFor(async () => (await readFile(daemonFile, 'utf8').catch(() => '')).includes('\n'), { what: "the daemon's report" });
    expect(await readFile(daemonFile, 'utf8')).toBe('daemon oom=0 env=[]\n');
    // The VNFM may still set NODE_ENV for a script explicitly.
    expect(
      (await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'show.sh', env: { NODE_ENV: 'staging' } })).json.output,
    ).toMatch(/env=\[staging\]/);
  });

  it('writes scripts 0700, ob_parameters.* 0600, in a 0700 script directory', async () => {
    const pair = await startAgentPair('modes');
    await saveScript(pair, 'install.sh', 'echo hi\n');
    const dependency = {
      target: 'client',
      parameters: { server: { parameters: { db_password: 'hunter2' } } },
      vnfcParameters: {},
      idType: {},
    };
    const dep = await pair.vnfm.send(pair.hostname, {
      action: 'SAVE_VNFR_DEPENDENCY',
      payload: JSON.stringify(dependency),
      'script-path': '/opt/openbaton/scripts',
    });
    expect(dep.json.status).toBe(0);
    const mode = async (name: string): Promise<number> => (await stat(join(pair.scriptsDir, name))).mode & 0o777;
    expect((await stat(pair.scriptsDir)).mode & 0o777).toBe(0o700);
    expect(await mode('install.sh')).toBe(0o700);
    for (const name of ['ob_parameters.json', 'ob_parameters.yaml', 'ob_parameters.sh']) expect(await mode(name), name).toBe(0o600);
  });
});

describe.skipIf(SKIP_BROKER_TESTS)('secrets in the log of a real agent', () => {
  it('never logs a broker password holding "@" and ":" (wrong password: the broker refuses the login)', async () => {
    const dir = await tempDir('vnfkit-redact-');
    const password = 'se:cr@t/x';
    const url = AMQP_URL.replace(/\/\/[^@]*@/, `//guest:${password.replace('/', '%2F')}@`).replace('%2F', '/');
    // Unencoded "/" makes the URL unparsable: refused at start without quoting it.
    const bad = spawnAgent([
      '--config',
      await writeConfig(
        dir,
        { amqp_url: url, hostname: uniqueHostname('redact'), scripts_dir: join(dir, 's'), state_dir: join(dir, 'st') },
        'bad.conf',
      ),
    ]);
    const exit = await bad.exited;
    expect(exit.code).not.toBe(0);
    const badOutput = JSON.stringify(bad.logs) + bad.stderr;
    expect(badOutput).toContain('amqp_url');
    expect(badOutput).not.toContain('cr@t');
    // "@" and ":" parse: the agent connects, the broker refuses the login, the agent logs and retries.
    const parsable = AMQP_URL.replace(/\/\/[^@]*@/, '//guest:se:cr@t@');
    const agent = spawnAgent([
      '--config',
      await writeConfig(
        dir,
        {
          amqp_url: parsable,
          hostname: uniqueHostname('redact'),
          scripts_dir: join(dir, 's'),
          state_dir: join(dir, 'st'),
          log_level: 'debug',
        },
        'ok.conf',
      ),
    ]);
    await waitFor(() => agent.logged('cannot reach the broker; retrying'), {
      timeoutMs: 20_000,
      what: 'the connection failure to be logged',
    });
    const logged = JSON.stringify(agent.logs) + agent.stderr;
    expect(logged).toContain('guest:***@');
    expect(logged).not.toContain('cr@t');
    expect(logged).not.toContain('se:cr');
  });

  it('never logs env values quoted from a refused (non-JSON) body; the reply still explains', async () => {
    const pair = await startAgentPair('bodypreview');
    const secret = 'hunter2-db-password';
    const reply = await pair.vnfm.send(pair.hostname, `{"action":"EXECUTE","payload":"x.sh","env":{"DB_PASSWORD":"${secret}"}},`);
    expect(reply.json.status).toBe(1);
    expect(reply.json.err).toMatch(/body is not JSON/);
    await waitFor(() => pair.agent.logged('undecodable command refused'), { what: 'the refusal to be logged' });
    const logged = JSON.stringify(pair.agent.logs);
    expect(logged).toContain('details withheld from the log');
    expect(logged).not.toContain(secret);
  });
});
