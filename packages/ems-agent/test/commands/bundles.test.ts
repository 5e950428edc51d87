// Bundled commands (vnfkit extension, hello `bundles: 'v2'`): several files in one SAVE_SCRIPTS, package files and a
// dependency within an EXECUTE. Same rules and results as the single commands they replace.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { decodeEmsCommand } from '@vnfkit/protocol';
import { runCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/index.js';
import { resolveConfig } from '../../src/config.js';
import { processRunner } from '../../src/exec.js';
import { decodeCommandFast } from '../../src/internal/wire.js';
import { b64, testConfig } from '../helpers/agent-config.js';

async function context(overrides: Parameters<typeof testConfig>[0] = {}): Promise<CommandContext> {
  return { config: resolveConfig(await testConfig(overrides)), runner: processRunner, logger: pino({ enabled: false }), baseEnv: {} };
}

const dependency = JSON.stringify({
  target: 'client',
  parameters: { server: { parameters: { private: '10.0.0.7' } } },
  vnfcParameters: { server: { parameters: { a: { parameters: { hostname: 'server-1' } } } } },
});

describe('bundled SAVE_SCRIPTS', () => {
  it('saves the first file and every one of `files`, each 0700, and replies one listing', async () => {
    const ctx = await context();
    const reply = await runCommand(
      {
        action: 'SAVE_SCRIPTS',
        name: 'install.sh',
        payload: b64('#!/bin/bash\necho install\n'),
        files: [
          { name: 'start.sh', payload: b64('#!/bin/bash\necho start\n') },
          { name: 'configure.sh', payload: b64('#!/bin/bash\necho configure\n') },
        ],
      },
      ctx,
    );
    expect(reply).toEqual({ output: "['configure.sh', 'install.sh', 'start.sh']", err: '', status: 0 });
    expect(await readFile(join(ctx.config.scripts_dir, 'start.sh'), 'utf8')).toBe('#!/bin/bash\necho start\n');
    const run = await runCommand({ action: 'EXECUTE', payload: 'configure.sh', env: {} }, ctx);
    expect(run).toMatchObject({ output: 'configure\n', status: 0 });
  });

  it.each([
    ['a bad name', { name: '../escape.sh', payload: b64('x') }, /refused: script name "..\/escape.sh" contains/],
    ['bad base64', { name: 'b.sh', payload: 'not base64!' }, /SAVE_SCRIPTS of "b.sh" failed: payload is not valid base64/],
  ])('refuses the whole bundle for %s in `files` and writes nothing', async (_what, file, err) => {
    const ctx = await context();
    const reply = await runCommand({ action: 'SAVE_SCRIPTS', name: 'a.sh', payload: b64('a'), files: [file] }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toMatch(err);
    expect(await readdir(ctx.config.scripts_dir).catch(() => [])).toEqual([]);
  });

  it('counts every file of the bundle against max_scripts and max_scripts_bytes', async () => {
    const ctx = await context({ max_scripts: 2 });
    const three = await runCommand(
      {
        action: 'SAVE_SCRIPTS',
        name: 'a.sh',
        payload: b64('a'),
        files: [
          { name: 'b.sh', payload: b64('b') },
          { name: 'c.sh', payload: b64('c') },
        ],
      },
      ctx,
    );
    expect(three).toEqual({
      output: '',
      err: 'SAVE_SCRIPTS of 3 files refused: the script directory would hold 3 files, above max_scripts (2)',
      status: 1,
    });
    // A name twice in one bundle is one file.
    const twice = await runCommand(
      { action: 'SAVE_SCRIPTS', name: 'a.sh', payload: b64('1'), files: [{ name: 'a.sh', payload: b64('2') }] },
      ctx,
    );
    expect(twice.status).toBe(0);
    expect(await readFile(join(ctx.config.scripts_dir, 'a.sh'), 'utf8')).toBe('2');
    const bytes = await context({ max_scripts_bytes: 1024 });
    const big = await runCommand(
      { action: 'SAVE_SCRIPTS', name: 'a.sh', payload: b64('x'.repeat(600)), files: [{ name: 'b.sh', payload: b64('x'.repeat(600)) }] },
      bytes,
    );
    expect(big.err).toMatch(/would hold 1200 bytes, above max_scripts_bytes \(1024\)$/);
  });
});

describe('EXECUTE with a dependency', () => {
  it('writes the ob_parameters files before the script runs, as SAVE_VNFR_DEPENDENCY does', async () => {
    const ctx = await context();
    await runCommand(
      { action: 'SAVE_SCRIPTS', name: 'conf.sh', payload: b64('#!/bin/bash\n. ./ob_parameters.sh\necho "$OB_server_VNF_private"\n') },
      ctx,
    );
    const reply = await runCommand({ action: 'EXECUTE', payload: 'conf.sh', env: {}, dependency }, ctx);
    expect(reply).toMatchObject({ output: '10.0.0.7\n', status: 0 });
    expect(await readFile(join(ctx.config.scripts_dir, 'ob_parameters.json'), 'utf8')).toBe(dependency);
    const alone = await context();
    await runCommand({ action: 'SAVE_VNFR_DEPENDENCY', payload: dependency }, alone);
    for (const file of ['ob_parameters.json', 'ob_parameters.yaml', 'ob_parameters.sh'])
      expect(await readFile(join(ctx.config.scripts_dir, file), 'utf8')).toBe(await readFile(join(alone.config.scripts_dir, file), 'utf8'));
  });

  it('does not run the script when the dependency cannot be saved, and says why', async () => {
    const ctx = await context();
    await runCommand({ action: 'SAVE_SCRIPTS', name: 'mark.sh', payload: b64('#!/bin/bash\ntouch ran\n') }, ctx);
    const reply = await runCommand({ action: 'EXECUTE', payload: 'mark.sh', env: {}, dependency: '{"target": 7' }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toMatch(/^EXECUTE of "mark.sh" not run: SAVE_VNFR_DEPENDENCY failed: payload is not JSON/);
    expect(await readdir(ctx.config.scripts_dir)).toEqual(['mark.sh']);
  });
});

describe('EXECUTE with package files', () => {
  const files = [
    { name: 'install.sh', payload: b64('#!/bin/bash\n. ./ob_parameters.sh\necho "install $OB_server_VNF_private"\n') },
    { name: 'start.sh', payload: b64('#!/bin/bash\necho start\n') },
  ];

  it('saves the files (0700), then the dependency, then runs the script; the files stay for later scripts', async () => {
    const ctx = await context();
    const reply = await runCommand({ action: 'EXECUTE', payload: 'install.sh', env: {}, files, dependency }, ctx);
    expect(reply).toMatchObject({ output: 'install 10.0.0.7\n', status: 0 });
    expect(await readdir(ctx.config.scripts_dir)).toEqual([
      'install.sh',
      'ob_parameters.json',
      'ob_parameters.sh',
      'ob_parameters.yaml',
      'start.sh',
    ]);
    expect((await stat(join(ctx.config.scripts_dir, 'start.sh'))).mode & 0o777).toBe(0o700);
    expect(await runCommand({ action: 'EXECUTE', payload: 'start.sh', env: {} }, ctx)).toMatchObject({ output: 'start\n', status: 0 });
  });

  it.each([
    ['a bad name', { name: '../escape.sh', payload: b64('x') }, /refused: script name "..\/escape.sh" contains/],
    ['bad base64', { name: 'b.sh', payload: 'not base64!' }, /SAVE_SCRIPTS of "b.sh" failed: payload is not valid base64/],
  ])('with %s among the files: nothing is written, the script does not run, the reply says why', async (_what, bad, err) => {
    const ctx = await context();
    const reply = await runCommand({ action: 'EXECUTE', payload: 'install.sh', env: {}, files: [...files, bad] }, ctx);
    expect(reply.status).toBe(1);
    expect(reply.err).toMatch(/^EXECUTE of "install.sh" not run: SAVE_SCRIPTS /);
    expect(reply.err).toMatch(err);
    expect(await readdir(ctx.config.scripts_dir).catch(() => [])).toEqual([]);
  });

  it('counts the files against max_scripts like a SAVE_SCRIPTS', async () => {
    const ctx = await context({ max_scripts: 1 });
    const reply = await runCommand({ action: 'EXECUTE', payload: 'install.sh', env: {}, files }, ctx);
    expect(reply.err).toBe(
      'EXECUTE of "install.sh" not run: SAVE_SCRIPTS of 2 files refused: the script directory would hold 2 files, above max_scripts (1)',
    );
  });
});

describe('bundled commands on the wire', () => {
  it.each([
    { action: 'SAVE_SCRIPTS', name: 'a', payload: 'YQ==', files: [{ name: 'b', payload: 'Yg==' }] },
    { action: 'EXECUTE', payload: 'a', env: {}, dependency: '{}' },
    { action: 'EXECUTE', payload: 'a', env: {}, files: [{ name: 'a', payload: 'YQ==' }] },
  ])('the fast decoder and the protocol schema agree on %j', (command) => {
    const body = Buffer.from(JSON.stringify(command));
    expect(decodeCommandFast(body)).toEqual(decodeEmsCommand(body));
  });

  it.each([
    { action: 'SAVE_SCRIPTS', name: 'a', payload: 'YQ==', files: [{ name: 'b' }] },
    { action: 'SAVE_SCRIPTS', name: 'a', payload: 'YQ==', files: 'b' },
    { action: 'EXECUTE', payload: 'a', dependency: { target: 'x' } },
    { action: 'EXECUTE', payload: 'a', files: [{ name: 'a', payload: 7 }] },
    { action: 'EXECUTE', payload: 'a', files: { name: 'a', payload: 'YQ==' } },
  ])('a malformed bundle is left to the schema, which refuses it: %j', (command) => {
    const body = Buffer.from(JSON.stringify(command));
    expect(decodeCommandFast(body)).toBeUndefined();
    expect(() => decodeEmsCommand(body)).toThrow();
  });
});
