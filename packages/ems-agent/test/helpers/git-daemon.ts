import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { tempDir } from './temp.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A bare repository with `files` committed, served by `git daemon` on 127.0.0.1 over git://
 * (file:// is refused by the agent's policy); the daemon is killed when the test finishes.
 */
export async function servedRepository(files: Record<string, string> = { 'install.sh': '#!/bin/bash\necho installed\n', 'start.sh': '#!/bin/bash\necho started\n' }): Promise<string> {
  const root = await tempDir('vnfkit-git-');
  const work = join(root, 'work');
  await mkdir(work);
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  await run('git', ['init', '-q'], { cwd: work, env });
  for (const [name, content] of Object.entries(files)) await writeFile(join(work, name), content, { mode: 0o644 });
  await run('git', ['add', '.'], { cwd: work, env });
  await run('git', ['commit', '-q', '-m', 'scripts'], { cwd: work, env });
  await run('git', ['clone', '-q', '--bare', work, join(root, 'repo.git')], { cwd: root, env });
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], { stdio: 'ignore' });
  onTestFinished(() => {
    daemon.kill('SIGKILL');
  });
  const url = `git://127.0.0.1:${port}/repo.git`;
  await waitFor(async () => (await run('git', ['ls-remote', url])).stdout.includes('HEAD'), { timeoutMs: 10_000, what: 'git daemon to serve the repository' });
  return url;
}
