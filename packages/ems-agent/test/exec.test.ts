import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScriptProcess } from '../src/exec.js';
import type { ScriptRunRequest } from '../src/exec.js';
import { tempDir } from './helpers/temp.js';
import { waitFor } from './helpers/wait-for.js';

const FIXTURES = new URL('./fixtures/scripts/', import.meta.url).pathname;

function request(overrides: Partial<ScriptRunRequest> & Pick<ScriptRunRequest, 'args'>): ScriptRunRequest {
  return {
    command: '/bin/bash',
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: 20_000,
    killGraceMs: 500,
    maxOutputBytes: 1024 * 1024,
    label: 'test.sh',
    ...overrides,
  };
}

async function script(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body);
  await chmod(path, 0o755);
  return path;
}

/** True while `pid` is a live (non-zombie) process. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe('runScriptProcess', () => {
  it('passes arguments verbatim, the environment, the cwd, and reports the exit code', async () => {
    const dir = await tempDir();
    const path = await script(dir, 'args.sh', 'printf "%s|" "$@"; echo; echo "FOO=$FOO"; pwd; echo oops >&2; exit 3\n');
    const result = await runScriptProcess(request({ args: [path, 'a b', '$HOME', "it's"], cwd: dir, env: { FOO: 'bar baz' } }));
    expect(result.status).toBe(3);
    expect(result.stdout).toBe(`a b|$HOME|it's|\nFOO=bar baz\n${dir}\n`);
    expect(result.stderr).toBe('oops\n');
    expect(result.timedOut).toBe(false);
  });

  it('does not inherit variables that are not in env', async () => {
    const dir = await tempDir();
    const path = await script(dir, 'env.sh', 'echo "[${VNFKIT_SECRET_TEST:-unset}]"\n');
    process.env.VNFKIT_SECRET_TEST = 'leak';
    try {
      const result = await runScriptProcess(request({ args: [path], env: {} }));
      expect(result.stdout).toBe('[unset]\n');
    } finally {
      delete process.env.VNFKIT_SECRET_TEST;
    }
  });

  it('reports a signal death as 128 + the signal number', async () => {
    const dir = await tempDir();
    const path = await script(dir, 'killself.sh', 'kill -KILL $$\n');
    const result = await runScriptProcess(request({ args: [path] }));
    expect(result.status).toBe(128 + 9);
    expect(result.signal).toBe('SIGKILL');
  });

  it('runs a file directly when asked (shebang)', async () => {
    const dir = await tempDir();
    const path = await script(dir, 'hello.py', '#!/usr/bin/env python3\nimport sys\nprint("py", sys.argv[1:])\n');
    const result = await runScriptProcess(request({ command: path, args: ['x'], env: { PATH: process.env.PATH ?? '' } }));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("py ['x']\n");
  });

  it('reports 127 when the executable does not exist and 126 when it is not executable', async () => {
    const dir = await tempDir();
    const missing = await runScriptProcess(request({ command: join(dir, 'nope.py'), args: [] }));
    expect(missing.status).toBe(127);
    expect(missing.stderr).toMatch(/cannot start test\.sh: ENOENT/);
    const path = join(dir, 'plain.py');
    await writeFile(path, '#!/bin/sh\necho hi\n');
    await chmod(path, 0o644);
    const notExecutable = await runScriptProcess(request({ command: path, args: [] }));
    expect(notExecutable.status).toBe(126);
  });

  it('kills the whole process group on timeout, including a grandchild that ignores SIGTERM', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'pids');
    const started = Date.now();
    const result = await runScriptProcess(
      request({ args: [join(FIXTURES, 'tree-ignores-term.sh'), pidFile], timeoutMs: 700, killGraceMs: 300, label: 'tree.sh' }),
    );
    expect(result.status).toBe(124);
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toContain('tree.sh timed out after 0.7 s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // timeout + grace: SIGKILL was needed
    const child = Number((await readFile(`${pidFile}.child`, 'utf8')).trim());
    const grandchild = Number((await readFile(`${pidFile}.grandchild`, 'utf8')).trim());
    await waitFor(async () => !(await alive(child)) && !(await alive(grandchild)), {
      timeoutMs: 5_000,
      what: 'the script tree to be dead',
    });
  });

  it('caps a ~50 MB flood, keeps draining, and marks the truncation', async () => {
    const dir = await tempDir();
    const path = await script(
      dir,
      'flood.sh',
      'head -c 52428800 /dev/zero | tr "\\0" "x"; head -c 3000000 /dev/zero | tr "\\0" "e" >&2; echo done-marker\n',
    );
    const result = await runScriptProcess(request({ args: [path], maxOutputBytes: 100_000 }));
    expect(result.status).toBe(0);
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderrTruncated).toBe(true);
    expect(result.stdout).toBe(`${'x'.repeat(100_000)}\n[vnfkit-ems: output truncated after 100000 bytes]\n`);
    expect(result.stderr.endsWith('[vnfkit-ems: output truncated after 100000 bytes]\n')).toBe(true);
  }, 60_000);

  it('replaces invalid UTF-8 with U+FFFD', async () => {
    const dir = await tempDir();
    const path = await script(dir, 'bad-utf8.sh', "printf 'ok \\xff\\xfe end \\xc3\\xa9\\n'\n");
    const result = await runScriptProcess(request({ args: [path] }));
    expect(result.stdout).toBe('ok \uFFFD\uFFFD end é\n');
  });

  it('returns when the script exits even if a daemon it started keeps stdout open', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'daemon.pid');
    const path = await script(dir, 'start-daemon.sh', `(trap "" HUP; while :; do sleep 0.2; done) & echo $! > ${pidFile}\necho started\n`);
    const result = await runScriptProcess(request({ args: [path] }));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('started\n');
    const daemon = Number((await readFile(pidFile, 'utf8')).trim());
    expect(await alive(daemon)).toBe(true); // a normal exit never kills what the script started
    process.kill(daemon, 'SIGKILL');
  });

  it('kills the group when cancelled', async () => {
    const controller = new AbortController();
    const running = runScriptProcess(request({ command: '/bin/bash', args: ['-c', 'echo go; sleep 30'], signal: controller.signal }));
    controller.abort();
    const result = await running;
    expect(result.canceled).toBe(true);
    expect(result.status).toBe(128 + 15);
  });
});
