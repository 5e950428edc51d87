import { lstat, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  executableScriptPath,
  formatListing,
  isInside,
  listScripts,
  resolveScriptDir,
  scriptFilePath,
  writeFileAtomic,
} from '../../src/scripts/script-store.js';
import { tempDir } from '../helpers/temp.js';

describe('scriptFilePath', () => {
  it.each([
    ['', /empty/],
    ['../evil.sh', /path separator/],
    ['a/b.sh', /path separator/],
    ['a\\b.sh', /path separator/],
    ['..', /"\.\."/],
    ['x..y', /"\.\."/],
    ['.bashrc', /starts with "\."/],
    ['.', /starts with "\."/],
    ['a\0b', /NUL/],
    ['x'.repeat(256), /255 bytes/],
  ])('refuses %j', (name, reason) => {
    const checked = scriptFilePath('/opt/openbaton/scripts', name);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });

  it.each(['install.sh', 'default_options', 'iperf-install.py', 'a b.sh', 'ünïcode.sh', '-leading-dash.sh'])(
    'accepts %j inside the directory',
    (name) => {
      expect(scriptFilePath('/opt/openbaton/scripts', name)).toEqual({ ok: true, value: `/opt/openbaton/scripts/${name}` });
    },
  );
});

describe('executableScriptPath', () => {
  it('allows sub-directories of a cloned repository but nothing outside', () => {
    expect(executableScriptPath('/s', 'install.sh')).toEqual({ ok: true, value: '/s/install.sh' });
    expect(executableScriptPath('/s', './install.sh')).toEqual({ ok: true, value: '/s/install.sh' });
    expect(executableScriptPath('/s', 'sub/install.sh')).toEqual({ ok: true, value: '/s/sub/install.sh' });
    for (const bad of ['../x.sh', 'sub/../../x.sh', '/etc/passwd', 'a\0b', '.', 'a\\b']) {
      expect(executableScriptPath('/s', bad).ok, bad).toBe(false);
    }
  });
});

describe('resolveScriptDir', () => {
  const policy = { scriptsDir: '/tmp/agent-1/scripts', allowOverride: false };

  it('uses the configured directory when script-path is missing, equal, or the Open Baton default', () => {
    for (const requested of [
      undefined,
      '',
      '/tmp/agent-1/scripts',
      '/tmp/agent-1/scripts/',
      '/opt/openbaton/scripts',
      '/opt/openbaton/scripts/',
    ]) {
      expect(resolveScriptDir(requested, policy)).toEqual({ ok: true, value: '/tmp/agent-1/scripts' });
    }
  });

  it('refuses any other directory unless overrides are allowed (absolute only)', () => {
    const refused = resolveScriptDir('/etc', policy);
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.reason).toBe(
        'script-path "/etc" refused: this agent\'s script directory is /tmp/agent-1/scripts (set allow_script_path_override=true to allow other directories)',
      );
    expect(resolveScriptDir('/srv/other', { ...policy, allowOverride: true })).toEqual({ ok: true, value: '/srv/other' });
    expect(resolveScriptDir('relative', { ...policy, allowOverride: true }).ok).toBe(false);
    expect(resolveScriptDir('/opt/openbaton/scripts/../../etc', policy).ok).toBe(false);
  });
});

describe('writeFileAtomic and listings', () => {
  it('writes with mode 0700 (root only), replaces a symlink instead of following it, and leaves no temp files', async () => {
    const dir = await tempDir();
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'original');
    const scripts = join(dir, 'scripts');
    await import('node:fs/promises').then((fs) => fs.mkdir(scripts));
    await symlink(outside, join(scripts, 'link.sh'));
    writeFileAtomic(join(scripts, 'link.sh'), 'echo new\n');
    expect(await readFile(outside, 'utf8')).toBe('original');
    expect((await lstat(join(scripts, 'link.sh'))).isSymbolicLink()).toBe(false);
    expect((await stat(join(scripts, 'link.sh'))).mode & 0o777).toBe(0o700);
    writeFileAtomic(join(scripts, 'b.sh'), new Uint8Array([0x23, 0x0a]));
    expect(await readdir(scripts)).toEqual(expect.arrayContaining(['b.sh', 'link.sh']));
    expect(listScripts(scripts)).toEqual(['b.sh', 'link.sh']);
  });

  it('formats listings like Python str() of a list', () => {
    expect(formatListing([])).toBe('[]');
    expect(formatListing(['install.sh', 'start.sh'])).toBe("['install.sh', 'start.sh']");
    expect(formatListing(["it's.sh"])).toBe('["it\'s.sh"]');
  });

  it('isInside', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
  });
});
