import { writeFile, mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/index.js';
import { checkScriptEnv } from '../../src/commands/execute.js';
import { resolveConfig } from '../../src/config.js';
import { processRunner } from '../../src/exec.js';
import type { ScriptRunner, ScriptRunRequest } from '../../src/exec.js';
import { testConfig } from '../helpers/agent-config.js';

async function setup(overrides: Parameters<typeof testConfig>[0] = {}, runner: ScriptRunner = processRunner): Promise<CommandContext> {
  const config = resolveConfig(await testConfig(overrides));
  await mkdir(config.scripts_dir, { recursive: true });
  return {
    config,
    runner,
    logger: pino({ enabled: false }),
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', AGENT_ONLY: 'agent' },
  };
}

async function script(ctx: CommandContext, name: string, body: string): Promise<string> {
  const path = join(ctx.config.scripts_dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, body);
  await chmod(path, 0o755);
  return path;
}

describe('EXECUTE', () => {
  it('runs under bash with args from the payload, cwd = script dir, VNFM env on top of the agent env, SCRIPTS_PATH always set', async () => {
    const ctx = await setup();
    // No shebang and not executable: bash runs it anyway, like Open Baton.
    const configure = await script(
      ctx,
      'configure.sh',
      'echo "args=$*"; echo "cwd=$(pwd)"; echo "HOME=$HOME AGENT_ONLY=$AGENT_ONLY server_private=$server_private"; echo "SCRIPTS_PATH=$SCRIPTS_PATH"; echo "1net=$(printenv 1net)"\n',
    );
    await chmod(configure, 0o644);
    const reply = await runCommand(
      {
        action: 'EXECUTE',
        payload: 'configure.sh  one\ttwo',
        env: { AGENT_ONLY: 'from-vnfm', server_private: '192.168.1.7', '1net': '10.0.0.1', SCRIPTS_PATH: '/nope' },
      },
      ctx,
    );
    expect(reply).toEqual({
      output: `args=one two\ncwd=${ctx.config.scripts_dir}\nHOME=/root AGENT_ONLY=from-vnfm server_private=192.168.1.7\nSCRIPTS_PATH=${ctx.config.scripts_dir}\n1net=10.0.0.1\n`,
      err: '',
      status: 0,
    });
  });

  it('returns the exit status and stderr of a failing script', async () => {
    const ctx = await setup();
    await script(ctx, 'failing_script.sh', 'echo "This failure is on purpose" >&2\nexit 1\n');
    expect(await runCommand({ action: 'EXECUTE', payload: 'failing_script.sh' }, ctx)).toEqual({
      output: '',
      err: 'This failure is on purpose\n',
      status: 1,
    });
  });

  it('runs a payload containing .py directly (shebang)', async () => {
    const ctx = await setup();
    await script(
      ctx,
      'iperf-install.py',
      '#!/usr/bin/env python3\nimport os, sys\nprint(sys.argv[1:], os.environ["SCRIPTS_PATH"] == os.getcwd())\n',
    );
    const reply = await runCommand({ action: 'EXECUTE', payload: 'iperf-install.py -v' }, ctx);
    expect(reply).toEqual({ output: "['-v'] True\n", err: '', status: 0 });
  });

  it('answers 127 with a clear err for a missing script', async () => {
    const ctx = await setup();
    const reply = await runCommand({ action: 'EXECUTE', payload: 'nope.sh a' }, ctx);
    expect(reply).toEqual({ output: '', err: `EXECUTE failed: script "nope.sh" not found in ${ctx.config.scripts_dir}`, status: 127 });
  });

  it('times out with 124, and says so', async () => {
    const ctx = await setup({ command_timeout: 0.5, kill_grace: 0.2 });
    await script(ctx, 'hang.sh', 'echo before\nsleep 30\n');
    const reply = await runCommand({ action: 'EXECUTE', payload: 'hang.sh' }, ctx);
    expect(reply.status).toBe(124);
    expect(reply.output).toBe('before\n');
    expect(reply.err).toMatch(/hang\.sh timed out after 0\.5 s/);
  });

  it.each(['../x.sh', '/bin/ls', 'sub/../../x.sh'])('refuses the script %j without running anything', async (payload) => {
    const calls: ScriptRunRequest[] = [];
    const ctx = await setup(
      {},
      {
        run: async (request) => {
          calls.push(request);
          throw new Error('must not run');
        },
      },
    );
    const reply = await runCommand({ action: 'EXECUTE', payload }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toMatch(/^EXECUTE refused: script/);
    expect(calls).toEqual([]);
  });

  it('refuses env names with "=" or NUL and values with NUL, naming only the variable', async () => {
    expect(checkScriptEnv({ '1net': 'ok', good_name: 'v' })).toEqual([]);
    const ctx = await setup();
    await script(ctx, 'x.sh', 'echo ran\n');
    const reply = await runCommand({ action: 'EXECUTE', payload: 'x.sh', env: { 'A=B': 'v', 'C\0D': 'v', E: 'secret\0value' } }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toContain('"A=B" contains "="');
    expect(reply.err).toContain('contains a NUL byte');
    expect(reply.err).toContain('"E" has a value containing a NUL byte');
    expect(reply.err).not.toContain('secret');
  });

  it('refuses env names that make the environment code (issue #15), naming each, unless allow_env lists them', async () => {
    const calls: ScriptRunRequest[] = [];
    const recording: ScriptRunner = {
      run: async (request) => (
        calls.push(request),
        {
          status: 0,
          stdout: '',
          stderr: '',
          timedOut: false,
          canceled: false,
          stdoutTruncated: false,
          stderrTruncated: false,
          durationMs: 0,
        }
      ),
    };
    const ctx = await setup({}, recording);
    await script(ctx, 'x.sh', 'echo ran\n');
    const reply = await runCommand(
      { action: 'EXECUTE', payload: 'x.sh', env: { hostname: 'vm1', BASH_ENV: '$(id)', PATH: '/tmp', LD_PRELOAD: '/tmp/x.so' } },
      ctx,
    );
    expect(reply.status).toBe(1);
    for (const name of ['BASH_ENV', 'PATH', 'LD_PRELOAD']) expect(reply.err).toContain(`environment variable "${name}" is refused`);
    expect(reply.err).not.toContain('hostname');
    expect(reply.err).not.toContain('$(id)');
    expect(calls).toEqual([]);

    const allowing = await setup({ allow_env: 'PATH, LD_PRELOAD' }, recording);
    await script(allowing, 'x.sh', 'echo ran\n');
    const allowed = await runCommand(
      { action: 'EXECUTE', payload: 'x.sh', env: { PATH: '/opt/bin:/usr/bin:/bin', LD_PRELOAD: '/opt/lib/x.so' } },
      allowing,
    );
    expect(allowed.status).toBe(0);
    expect(calls[0]?.env).toMatchObject({ PATH: '/opt/bin:/usr/bin:/bin', LD_PRELOAD: '/opt/lib/x.so' });
    expect(
      (await runCommand({ action: 'EXECUTE', payload: 'x.sh', env: { NODE_OPTIONS: '--require /tmp/x.js' } }, allowing)).err,
    ).toContain('"NODE_OPTIONS" is refused');
  });

  it('runs scripts in sub-directories of the script dir', async () => {
    const ctx = await setup();
    await script(ctx, 'sub/run.sh', 'echo sub\n');
    expect((await runCommand({ action: 'EXECUTE', payload: 'sub/run.sh' }, ctx)).output).toBe('sub\n');
  });
});
