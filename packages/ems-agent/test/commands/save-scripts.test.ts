import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/index.js';
import { resolveConfig } from '../../src/config.js';
import { processRunner } from '../../src/exec.js';
import { b64, testConfig } from '../helpers/agent-config.js';

async function context(overrides: Parameters<typeof testConfig>[0] = {}): Promise<CommandContext> {
  return { config: resolveConfig(await testConfig(overrides)), runner: processRunner, logger: pino({ enabled: false }), baseEnv: {} };
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

describe('SAVE_SCRIPTS / SCRIPTS_UPDATE', () => {
  it('saves with mode 0700 in a 0700 dir (the configured one (Open Baton default script-path mapped) and replies the listing', async () => {
    const ctx = await context();
    const reply = await runCommand(
      { action: 'SAVE_SCRIPTS', payload: b64('#!/bin/bash\necho hi\n'), name: 'install.sh', 'script-path': '/opt/openbaton/scripts' },
      ctx,
    );
    expect(reply).toEqual({ output: "['install.sh']", err: '', status: 0 });
    const path = join(ctx.config.scripts_dir, 'install.sh');
    expect(await readFile(path, 'utf8')).toBe('#!/bin/bash\necho hi\n');
    expect((await stat(path)).mode & 0o777).toBe(0o700);
    expect((await stat(ctx.config.scripts_dir)).mode & 0o777).toBe(0o700);
    const second = await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'), name: 'default_options' }, ctx);
    expect(second.output).toBe("['default_options', 'install.sh']");
  });

  it('overwrites with SCRIPTS_UPDATE', async () => {
    const ctx = await context();
    await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('old'), name: 'start.sh' }, ctx);
    const reply = await runCommand(
      { action: 'SCRIPTS_UPDATE', payload: b64('new'), name: 'start.sh', 'script-path': ctx.config.scripts_dir },
      ctx,
    );
    expect(reply.status).toBe(0);
    expect(await readFile(join(ctx.config.scripts_dir, 'start.sh'), 'utf8')).toBe('new');
  });

  it('refuses bad base64 with status 1 and writes nothing', async () => {
    const ctx = await context();
    for (const payload of ['not base64!', 'abc', 'ab=c']) {
      const reply = await runCommand({ action: 'SAVE_SCRIPTS', payload, name: 'x.sh' }, ctx);
      expect(reply.status).toBe(1);
      expect(reply.output).toBe('');
      expect(reply.err).toMatch(/not valid base64/);
    }
    expect(await entries(ctx.config.scripts_dir)).toEqual([]);
  });

  it.each(['../escape.sh', '/etc/cron.d/x', '..', '.profile', 'a\\b', 'nul\0.sh'])(
    'refuses the name %j and writes nothing',
    async (name) => {
      const ctx = await context();
      const reply = await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('evil'), name }, ctx);
      expect(reply.status).not.toBe(0);
      expect(reply.err).toMatch(/^SAVE_SCRIPTS refused: script name/);
      expect(await entries(ctx.config.scripts_dir)).toEqual([]);
      expect(await entries(join(ctx.config.scripts_dir, '..'))).toEqual([]);
    },
  );

  it('refuses a foreign script-path unless overrides are allowed', async () => {
    const ctx = await context();
    const reply = await runCommand({ action: 'SCRIPTS_UPDATE', payload: b64('x'), name: 'a.sh', 'script-path': '/etc' }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toMatch(/script-path "\/etc" refused/);
    const other = join(ctx.config.state_dir, '..', 'other');
    const allowed = await context({ allow_script_path_override: true });
    const ok = await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'), name: 'a.sh', 'script-path': other }, allowed);
    expect(ok.status).toBe(0);
    expect(await readdir(other)).toEqual(['a.sh']);
  });
});

describe('script directory limits (max_scripts, max_scripts_bytes)', () => {
  it('refuses a file beyond max_scripts, naming the limit; replacing an existing file still works', async () => {
    const ctx = await context({ max_scripts: 2 });
    for (const name of ['a.sh', 'b.sh'])
      expect((await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'), name }, ctx)).status).toBe(0);
    const refused = await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'), name: 'c.sh' }, ctx);
    expect(refused).toEqual({
      output: '',
      err: 'SAVE_SCRIPTS of "c.sh" refused: the script directory would hold 3 files, above max_scripts (2)',
      status: 1,
    });
    expect(await entries(ctx.config.scripts_dir)).toEqual(['a.sh', 'b.sh']);
    expect((await runCommand({ action: 'SCRIPTS_UPDATE', payload: b64('y'), name: 'b.sh' }, ctx)).status).toBe(0);
  });

  it('refuses a file that would take the directory beyond max_scripts_bytes; a replacement counts once', async () => {
    const ctx = await context({ max_scripts_bytes: 4096 });
    expect((await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'.repeat(3000)), name: 'big.sh' }, ctx)).status).toBe(0);
    const refused = await runCommand({ action: 'SAVE_SCRIPTS', payload: b64('x'.repeat(1100)), name: 'more.sh' }, ctx);
    expect(refused).toEqual({
      output: '',
      err: 'SAVE_SCRIPTS of "more.sh" refused: the script directory would hold 4100 bytes, above max_scripts_bytes (4096)',
      status: 1,
    });
    expect(await entries(ctx.config.scripts_dir)).toEqual(['big.sh']);
    // Replacing big.sh with 4000 bytes: 4000 in total, not 7000.
    expect((await runCommand({ action: 'SCRIPTS_UPDATE', payload: b64('x'.repeat(4000)), name: 'big.sh' }, ctx)).status).toBe(0);
  });

  it('defaults to 1000 files and 256 MiB', async () => {
    const ctx = await context();
    expect(ctx.config.max_scripts).toBe(1000);
    expect(ctx.config.max_scripts_bytes).toBe(256 * 1024 * 1024);
  });
});
