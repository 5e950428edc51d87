/**
 * The library for CommonJS callers: `require('@vnfkit/ems-agent')` resolves through the package's
 * `require` condition to dist/index.cjs and works in a plain CommonJS Node process, with no
 * require(esm) (Node < 20.19 has none: the child runs with --no-experimental-require-module where
 * Node knows the flag). Needs the build: made here when dist/index.cjs is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROOT } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp.js';

const exec = promisify(execFile);
const PKG = join(WORKSPACE_ROOT, 'packages/ems-agent');
const VERSION = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;

/** Node >= 20.19 loads ES modules with require() by default; this flag turns that off, so only real CommonJS loads. */
async function noRequireEsmFlag(): Promise<string[]> {
  const known = await exec(process.execPath, ['--no-experimental-require-module', '-e', '0']).then(
    () => true,
    () => false,
  );
  return known ? ['--no-experimental-require-module'] : [];
}

/** Runs a CommonJS script (a .cjs file in a temp dir, outside the workspace) and returns its JSON output. */
async function runCommonJs(script: string): Promise<unknown> {
  const dir = await tempDir('vnfkit-cjs-');
  const file = join(dir, 'consumer.cjs');
  await writeFile(file, script);
  const { stdout, stderr } = await exec(process.execPath, [...(await noRequireEsmFlag()), file], { cwd: dir, timeout: 20_000 });
  expect(stderr).toBe('');
  return JSON.parse(stdout) as unknown;
}

beforeAll(async () => {
  if (!existsSync(join(PKG, 'dist/index.cjs')) || !existsSync(join(WORKSPACE_ROOT, 'packages/protocol/dist/index.cjs'))) {
    // The agent and what it requires (@vnfkit/protocol), built as `pnpm build` would.
    await exec('pnpm', ['--filter', '@vnfkit/ems-agent...', 'run', 'build'], {
      cwd: WORKSPACE_ROOT,
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
}, 160_000);

describe('require() of @vnfkit/ems-agent', () => {
  it('resolves to dist/index.cjs and exports what the ESM entry exports, createAgent included', async () => {
    const result = (await runCommonJs(`
      const path = ${JSON.stringify(PKG)};
      const agent = require(path);
      import(require('node:url').pathToFileURL(require('node:path').join(path, 'dist/index.js')).href).then((esm) => {
        process.stdout.write(JSON.stringify({
          resolved: require.resolve(path),
          createAgent: typeof agent.createAgent,
          exports: Object.keys(agent).sort(),
          esmExports: Object.keys(esm).sort(),
          version: agent.packageVersion(),
          templates: agent.USER_DATA_TEMPLATES,
        }));
      });
    `)) as {
      resolved: string;
      createAgent: string;
      exports: string[];
      esmExports: string[];
      version: string;
      templates: Record<string, string>;
    };
    expect(result.resolved).toBe(join(PKG, 'dist/index.cjs'));
    expect(result.createAgent).toBe('function');
    // The same names as the ESM entry.
    expect(result.exports).toEqual(result.esmExports);
    expect(result.exports).toContain('loadConfig');
    // `import.meta.url` (shimmed): files beside dist/ are found from the CommonJS build too.
    expect(result.version).toBe(VERSION);
    expect(result.templates).toEqual({
      install: join(PKG, 'systemd/user-data.sh.tmpl'),
      preinstalled: join(PKG, 'systemd/user-data-preinstalled.sh.tmpl'),
    });
    for (const template of Object.values(result.templates)) expect(existsSync(template)).toBe(true);
  });

  it('builds working objects: a config resolved, an agent created (not started) and closed from the CommonJS build', async () => {
    const dir = await tempDir('vnfkit-cjs-agent-');
    const result = (await runCommonJs(`
      const { createAgent, resolveConfig } = require(${JSON.stringify(PKG)});
      const config = resolveConfig({ hostname: 'vnfc-cjs', amqp_url: 'amqp://127.0.0.1:1', scripts_dir: ${JSON.stringify(join(dir, 'scripts'))}, state_dir: ${JSON.stringify(join(dir, 'state'))} });
      createAgent({ config }).then(async (agent) => {
        const seen = { hostname: agent.hostname, queue: agent.queue, state: agent.state, start: typeof agent.start };
        await agent.close();
        process.stdout.write(JSON.stringify(seen));
      });
    `)) as Record<string, string>;
    expect(result).toEqual({ hostname: 'vnfc-cjs', queue: 'vnfm.vnfc-cjs.actions', state: expect.any(String), start: 'function' });
  });

  it('has no import.meta left in dist/index.cjs (a SyntaxError in CommonJS)', () => {
    expect(readFileSync(join(PKG, 'dist/index.cjs'), 'utf8')).not.toMatch(/import\.meta/);
  });
});
