// install.sh and the signing key: given through SIGNING_KEY or --signing-key-file, kept across --force-config.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const INSTALL = fileURLToPath(new URL('../../systemd/install.sh', import.meta.url));
const UNIT = fileURLToPath(new URL('../../systemd/vnfkit-ems.service', import.meta.url));
const run = promisify(execFile);

/** A fake unpacked package and an empty install root; `install(args, env)` runs install.sh into it. */
async function sandbox() {
  const dir = await tempDir();
  const src = join(dir, 'src');
  await mkdir(join(src, 'dist', 'lazy'), { recursive: true });
  await mkdir(join(src, 'systemd'), { recursive: true });
  await writeFile(join(src, 'dist', 'cli.js'), '// fake\n');
  await writeFile(join(src, 'package.json'), '{}\n');
  await writeFile(join(src, 'systemd', 'vnfkit-ems.service'), await readFile(UNIT, 'utf8'));
  const root = join(dir, 'root');
  const conf = join(root, 'etc', 'vnfkit', 'ems.conf');
  const install = (args: string[], env: Record<string, string> = {}) =>
    run('bash', [INSTALL, '--no-enable', '--no-check', ...args], {
      env: { PATH: process.env.PATH ?? '', EMS_INSTALL_ROOT: root, EMS_INSTALL_SRC: src, Hostname: 'web-1', ...env },
    });
  return { dir, conf, install, config: () => readFile(conf, 'utf8') };
}

describe('install.sh signing key', () => {
  it('writes SIGNING_KEY with require_signing, and keeps it on --force-config without a new key', async () => {
    const box = await sandbox();
    await box.install(['--force-config'], { SIGNING_KEY: 'a'.repeat(64) });
    expect(await box.config()).toMatch(new RegExp(`^signing_key=${'a'.repeat(64)}\nrequire_signing=true$`, 'm'));
    // user-data runs again (or an operator re-installs) without a key: the key stays.
    await box.install(['--force-config'], { SIGNING_KEY: '' });
    expect(await box.config()).toMatch(new RegExp(`^signing_key=${'a'.repeat(64)}$`, 'm'));
    expect(await box.config()).toMatch(/^require_signing=true$/m);
  });

  it('takes the key from --signing-key-file (first line), refuses to ignore it for an existing config, never prints it', async () => {
    const box = await sandbox();
    await box.install([]);
    expect(await box.config()).not.toMatch(/signing_key/);
    const file = join(box.dir, 'key');
    await writeFile(file, `${'b'.repeat(40)}\r\nignored\n`, { mode: 0o600 });
    await expect(box.install([`--signing-key-file=${file}`])).rejects.toMatchObject({
      stderr: expect.stringMatching(/rerun with --force-config/),
    });
    const { stdout, stderr } = await box.install(['--force-config', `--signing-key-file=${file}`]);
    expect(`${stdout}${stderr}`).not.toContain('b'.repeat(40));
    expect(await box.config()).toMatch(new RegExp(`^signing_key=${'b'.repeat(40)}$`, 'm'));
    await expect(box.install(['--force-config', `--signing-key-file=${join(box.dir, 'missing')}`])).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot read the signing key file/),
    });
  });

  it('writes VNFM_PUBLIC_KEY as vnfm_public_key and keeps it on --force-config without one', async () => {
    const box = await sandbox();
    const publicKey = 'A'.repeat(42) + 'g';
    await box.install(['--force-config'], { SIGNING_KEY: 'a'.repeat(64), VNFM_PUBLIC_KEY: publicKey });
    expect(await box.config()).toMatch(new RegExp(`^vnfm_public_key=${publicKey}$`, 'm'));
    await box.install(['--force-config'], { SIGNING_KEY: '', VNFM_PUBLIC_KEY: '' });
    expect(await box.config()).toMatch(new RegExp(`^vnfm_public_key=${publicKey}$`, 'm'));
    expect(await box.config()).toMatch(new RegExp(`^signing_key=${'a'.repeat(64)}$`, 'm'));
  });
});
