import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
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
export async function servedRepository(
  files: Record<string, string> = { 'install.sh': '#!/bin/bash\necho installed\n', 'start.sh': '#!/bin/bash\necho started\n' },
): Promise<string> {
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
  const daemon = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root],
    { stdio: 'ignore' },
  );
  onTestFinished(() => {
    daemon.kill('SIGKILL');
  });
  const url = `git://127.0.0.1:${port}/repo.git`;
  await waitFor(async () => (await run('git', ['ls-remote', url])).stdout.includes('HEAD'), {
    timeoutMs: 10_000,
    what: 'git daemon to serve the repository',
  });
  return url;
}

/** What {@link servedHttpRepository} saw. */
export interface HttpRepositoryRequests {
  /** Requests that carried the expected basic-auth credentials. */
  authorized: number;
}

/**
 * A bare repository (one committed `install.sh`) served over plain http:// by `git http-backend`
 * behind a small Node HTTP server that demands basic auth `user`/`token` (401 otherwise, as a forge
 * does for a private repository); the URL it returns carries no credentials.
 */
export async function servedHttpRepository(credentials: {
  user: string;
  token: string;
}): Promise<{ url: string; requests: HttpRepositoryRequests }> {
  const root = await tempDir('vnfkit-git-http-');
  const work = join(root, 'work');
  await mkdir(work);
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  await run('git', ['init', '-q'], { cwd: work, env });
  await writeFile(join(work, 'install.sh'), '#!/bin/bash\necho installed\n');
  await run('git', ['add', '.'], { cwd: work, env });
  await run('git', ['commit', '-q', '-m', 'scripts'], { cwd: work, env });
  await run('git', ['clone', '-q', '--bare', work, join(root, 'repo.git')], { cwd: root, env });
  const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.token}`).toString('base64')}`;
  const requests: HttpRepositoryRequests = { authorized: 0 };
  const server = createHttpServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    requests.authorized += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: credentials.user,
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(backend.stdin);
    const chunks: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    backend.on('close', () => {
      const output = Buffer.concat(chunks);
      const end = output.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of output.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers).end(output.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/repo.git`, requests };
}
