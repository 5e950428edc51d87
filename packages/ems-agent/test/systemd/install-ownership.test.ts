// install.sh copies the package root-owned: a source tree owned by an unprivileged user (uid 1000) must
// not leave that user able to write the files of the root daemon (`cp -a` kept the owner and modes).
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const INSTALL = fileURLToPath(new URL('../../systemd/install.sh', import.meta.url));
const UNIT = fileURLToPath(new URL('../../systemd/vnfkit-ems.service', import.meta.url));
const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const stats = await lstat(path);
  if (!stats.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), uid);
}

/** Every entry below `dir` (symlinks not followed), with owner and mode. */
async function walk(dir: string, out: { path: string; uid: number; gid: number; mode: number; link: boolean }[] = []) {
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    const stats = await lstat(path);
    out.push({ path, uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777, link: stats.isSymbolicLink() });
    if (stats.isDirectory()) await walk(path, out);
  }
  return out;
}

describe.skipIf(!isRoot)('install.sh file ownership (needs root)', () => {
  it('installs a tree owned by uid 1000 (with group/world-writable files) root-owned, without group/other write', async () => {
    const dir = await tempDir();
    const src = join(dir, 'src');
    await mkdir(join(src, 'dist', 'lazy'), { recursive: true });
    await mkdir(join(src, 'systemd'), { recursive: true });
    await mkdir(join(src, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(src, 'dist', 'cli.js'), '// fake\n');
    await writeFile(join(src, 'dist', 'lib.js'), '// writable by all\n');
    await chmod(join(src, 'dist', 'lib.js'), 0o666);
    await chmod(join(src, 'dist'), 0o777);
    await writeFile(join(src, 'node_modules', 'dep', 'index.js'), '// dep\n');
    await symlink('lib.js', join(src, 'dist', 'alias.js'));
    await writeFile(join(src, 'package.json'), '{}\n');
    await writeFile(join(src, 'systemd', 'vnfkit-ems.service'), await readFile(UNIT, 'utf8'));
    await chownTree(src, 1000);
    const root = join(dir, 'root');
    await run('bash', [INSTALL, '--no-enable', '--no-check'], {
      env: { PATH: process.env.PATH ?? '', EMS_INSTALL_ROOT: root, EMS_INSTALL_SRC: src, Hostname: 'web-1' },
    });
    const prefix = join(root, 'opt', 'vnfkit', 'ems-agent');
    const entries = [
      { path: prefix, ...(await lstat(prefix).then((s) => ({ uid: s.uid, gid: s.gid, mode: s.mode & 0o7777, link: false }))) },
      ...(await walk(prefix)),
    ];
    expect(entries.map((e) => e.path)).toEqual(expect.arrayContaining([join(prefix, 'dist', 'lib.js'), join(prefix, 'dist', 'alias.js')]));
    // dist/ is self-contained: a node_modules (a pnpm tree's are symlinks) is not copied.
    expect(entries.map((e) => e.path).filter((path) => path.includes('node_modules'))).toEqual([]);
    for (const entry of entries) {
      expect({ path: entry.path, uid: entry.uid, gid: entry.gid }).toEqual({ path: entry.path, uid: 0, gid: 0 });
      if (!entry.link) expect(entry.mode & 0o022, `${entry.path} mode ${entry.mode.toString(8)}`).toBe(0);
    }
    expect((await lstat(join(prefix, 'dist', 'alias.js'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(prefix, 'dist', 'cli.js'))).mode & 0o777).toBe(0o755);
    // The script directory is root-only.
    expect((await lstat(join(root, 'opt', 'openbaton', 'scripts'))).mode & 0o777).toBe(0o700);
  });
});
