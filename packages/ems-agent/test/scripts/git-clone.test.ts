import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ALLOWED_GIT_SCHEMES, checkGitUrl, cloneInto, redactGitUrl, storedGitUrl } from '../../src/scripts/git-clone.js';
import { tempDir } from '../helpers/temp.js';
import { servedHttpRepository, servedRepository } from '../helpers/git-daemon.js';

/** The git daemon of the tests serves git://, allowed only through allow_git_protocols. */
const WITH_GIT = ['https', 'ssh', 'git'];

describe('checkGitUrl', () => {
  it.each([
    'https://github.com/openbaton/vnf-scripts.git',
    'ssh://git@example.org:2222/x.git',
    'git@github.com:openbaton/vnf-scripts.git',
    'example.org:repo.git',
  ])('accepts %s by default', (url) => {
    expect(checkGitUrl(url)).toEqual({ ok: true, value: url });
  });

  it('refuses plaintext http:// and git:// unless allow_git_protocols lists them', () => {
    for (const url of [
      'http://git.example.org/x.git',
      'http://169.254.169.254/latest/meta-data',
      'git://127.0.0.1:9418/repo.git',
      'HTTP://x/y',
    ]) {
      const checked = checkGitUrl(url);
      expect(checked.ok, url).toBe(false);
      if (!checked.ok)
        expect(checked.reason).toMatch(
          /^git URL scheme "(http|git):\/\/" is not allowed \(allowed: https:\/\/, ssh:\/\/, user@host:path\); add "(http|git)" to allow_git_protocols to allow it$/,
        );
      expect(checkGitUrl(url, ALLOWED_GIT_SCHEMES)).toEqual({ ok: true, value: url });
    }
    // Without ssh, scp-style URLs go too; file:// never comes back.
    expect(checkGitUrl('git@github.com:o/r.git', ['https']).ok).toBe(false);
    expect(checkGitUrl('file:///etc', ALLOWED_GIT_SCHEMES).ok).toBe(false);
  });

  it('strips credentials from the URL git stores, and redacts them in messages (also with "@", ":" and "/" in them)', () => {
    expect(storedGitUrl('https://user:tok@en@git.example.org/o/r.git')).toBe('https://git.example.org/o/r.git');
    expect(storedGitUrl('https://ghp_token@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(storedGitUrl('ssh://git:pw@example.org:2222/r.git')).toBe('ssh://git@example.org:2222/r.git');
    expect(storedGitUrl('ssh://git@example.org/r.git')).toBe('ssh://git@example.org/r.git');
    expect(storedGitUrl('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    expect(storedGitUrl('https://github.com/o/r@v1.git')).toBe('https://github.com/o/r@v1.git');
    expect(redactGitUrl('https://user:p@ss:w/rd@host/r.git')).toBe('https://user:***@host/r.git');
    expect(redactGitUrl('https://ghp_token@github.com/o/r.git')).toBe('https://***@github.com/o/r.git');
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
  it('clones over git:// (when allowed) into a missing directory, root-only, and marks files executable', async () => {
    const url = await servedRepository();
    const dir = join(await tempDir(), 'scripts');
    const result = await cloneInto({ url, dir, timeoutMs: 30_000, env: process.env, allowedProtocols: WITH_GIT });
    expect(result.status).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['.git', 'install.sh', 'start.sh']);
    expect((await stat(join(dir, 'install.sh'))).mode & 0o111).toBe(0o111);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('refuses git:// by default without running git', async () => {
    const url = await servedRepository();
    const parent = await tempDir();
    const result = await cloneInto({ url, dir: join(parent, 'scripts'), timeoutMs: 30_000, env: process.env });
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/git URL scheme "git:\/\/" is not allowed/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('keeps no token in .git/config after cloning https-style with user:token@ (http:// allowed for the test server)', async () => {
    const { url, requests } = await servedHttpRepository({ user: 'deploy', token: 'tok:en@/secret' });
    const withToken = url.replace('http://', `http://deploy:${encodeURIComponent('tok:en@/secret')}@`);
    const dir = join(await tempDir(), 'scripts');
    const result = await cloneInto({
      url: withToken,
      dir,
      timeoutMs: 30_000,
      env: process.env,
      allowedProtocols: ['https', 'ssh', 'http'],
    });
    expect(result, result.err).toMatchObject({ status: 0 });
    expect(requests.authorized).toBeGreaterThan(0); // the credentials were used
    const config = await readFile(join(dir, '.git', 'config'), 'utf8');
    expect(config).toContain(`url = ${url}`);
    expect(config).not.toContain('tok');
    expect(config).not.toContain('deploy');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('replaces a non-empty directory and leaves no temporary directories beside it', async () => {
    const url = await servedRepository();
    const parent = await tempDir();
    const dir = join(parent, 'scripts');
    await mkdir(dir);
    await writeFile(join(dir, 'stale.sh'), 'old');
    const result = await cloneInto({ url, dir, timeoutMs: 30_000, env: process.env, allowedProtocols: WITH_GIT });
    expect(result.status).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['.git', 'install.sh', 'start.sh']);
    expect(await readdir(parent)).toEqual(['scripts']);
    expect(await readFile(join(dir, 'start.sh'), 'utf8')).toBe('#!/bin/bash\necho started\n');
  });

  it("keeps the old directory and reports git's status when the clone fails", async () => {
    const url = await servedRepository();
    const parent = await tempDir();
    const dir = join(parent, 'scripts');
    await mkdir(dir);
    await writeFile(join(dir, 'keep.sh'), 'old');
    const result = await cloneInto({
      url: url.replace('repo.git', 'missing.git'),
      dir,
      timeoutMs: 30_000,
      env: process.env,
      allowedProtocols: WITH_GIT,
    });
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
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    const parent = await tempDir();
    const result = await cloneInto({
      url: `git://127.0.0.1:${port}/repo.git`,
      dir: join(parent, 'scripts'),
      timeoutMs: 500,
      allowedProtocols: WITH_GIT,
    });
    expect(result.status).toBe(124);
    expect(result.err).toMatch(/timed out after 0\.5 s/);
    expect(await readdir(parent)).toEqual([]);
  });
});
