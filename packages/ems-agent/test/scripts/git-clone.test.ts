import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { checkGitUrl, cloneInto } from '../../src/scripts/git-clone.js';
import { tempDir } from '../helpers/temp.js';
import { servedRepository } from '../helpers/git-daemon.js';

describe('checkGitUrl', () => {
  it.each([
    'https://github.com/openbaton/vnf-scripts.git',
    'http://git.example.org/x.git',
    'ssh://git@example.org:2222/x.git',
    'git://127.0.0.1:9418/repo.git',
    'git@github.com:openbaton/vnf-scripts.git',
    'example.org:repo.git',
  ])('accepts %s', (url) => {
    expect(checkGitUrl(url)).toEqual({ ok: true, value: url });
  });

  it('redacts passwords in its messages', () => {
    const checked = checkGitUrl('ftp://user:secret@host/x');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).not.toContain('secret');
    const bad = checkGitUrl('https://user:secret@host/a b');
    if (!bad.ok) expect(bad.reason).toContain('https://user:***@host/a b');
  });

  it.each([
    ['file:///etc', /scheme "file:\/\/" is not allowed/],
    ['FILE:///etc', /scheme "file:\/\/" is not allowed/],
    ['ftp://x/y', /not allowed/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace/],
    ['ext::sh', /transport helper/],
    ['fd::17', /transport helper/],
    ['--upload-pack=touch /tmp/pwned', /whitespace|option/],
    ['--upload-pack=id', /option/],
    ['-u', /option/],
    ['/srv/repo.git', /not a https/],
    ['./repo', /not a https/],
    ['../repo', /not a https/],
    ['https://', /no host/],
    ['https:///path', /no host/],
    ['https://-oProxyCommand=x/y', /no host/],
    ['https://example.org/a\nb', /control/],
    ['', /empty/],
  ])('refuses %j', (url, reason) => {
    const checked = checkGitUrl(url);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});

describe('cloneInto', () => {
  it('clones over git:// into a missing directory and marks files executable', async () => {
    const url = await servedRepository();
    const dir = join(await tempDir(), 'scripts');
    const result = await cloneInto({ url, dir, timeoutMs: 30_000, env: process.env });
    expect(result.status).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['.git', 'install.sh', 'start.sh']);
    expect((await stat(join(dir, 'install.sh'))).mode & 0o111).toBe(0o111);
  });

  it('replaces a non-empty directory and leaves no temporary directories beside it', async () => {
    const url = await servedRepository();
    const parent = await tempDir();
    const dir = join(parent, 'scripts');
    await mkdir(dir);
    await writeFile(join(dir, 'stale.sh'), 'old');
    const result = await cloneInto({ url, dir, timeoutMs: 30_000, env: process.env });
    expect(result.status).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['.git', 'install.sh', 'start.sh']);
    expect(await readdir(parent)).toEqual(['scripts']);
    expect(await readFile(join(dir, 'start.sh'), 'utf8')).toBe('#!/bin/bash\necho started\n');
  });

  it('keeps the old directory and reports git\'s status when the clone fails', async () => {
    const url = await servedRepository();
    const parent = await tempDir();
    const dir = join(parent, 'scripts');
    await mkdir(dir);
    await writeFile(join(dir, 'keep.sh'), 'old');
    const result = await cloneInto({ url: url.replace('repo.git', 'missing.git'), dir, timeoutMs: 30_000, env: process.env });
    expect(result.status).toBe(128);
    expect(result.err).toMatch(/missing\.git|not exported|does not appear/i);
    expect(await readdir(parent)).toEqual(['scripts']);
    expect(await readdir(dir)).toEqual(['keep.sh']);
  });

  it('refuses a file:// URL without running git and writes nothing', async () => {
    const parent = await tempDir();
    const result = await cloneInto({ url: `file://${parent}`, dir: join(parent, 'scripts'), timeoutMs: 5_000 });
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/not allowed/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('times out with status 124 against a server that never answers', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }));
    const { port } = server.address() as AddressInfo;
    const parent = await tempDir();
    const result = await cloneInto({ url: `git://127.0.0.1:${port}/repo.git`, dir: join(parent, 'scripts'), timeoutMs: 500 });
    expect(result.status).toBe(124);
    expect(result.err).toMatch(/timed out after 0\.5 s/);
    expect(await readdir(parent)).toEqual([]);
  });
});
