/**
 * The .deb's maintainer scripts (packaging/deb/postinst, prerm, postrm) run by the real dpkg, in both of
 * their branches: an image build (no systemd running: nothing is started) and a live system (systemd
 * running: daemon-reload, start/restart on configure, stop on remove).
 *
 * What this proves, and what it does not: it proves the scripts' branch logic and the exact calls they
 * make to systemctl, deb-systemd-helper and deb-systemd-invoke, in the order and with the arguments dpkg
 * gives them for install, upgrade, remove and purge, and what install, remove and purge leave on disk.
 * It does NOT prove anything about systemd itself: those three programs are recording shims here (one
 * image-build test uses this machine's real deb-systemd-helper and systemctl, offline, for the links
 * they make), and "a running systemd" is the directory /run/systemd/system that the scripts test for
 * (this machine has no systemd as PID 1). Whether systemd then starts or stops the unit is not tested.
 *
 * How: each scenario is a throwaway root directory, `dpkg --root` installs a test .deb into it and runs
 * the scripts chrooted there, in a private mount namespace (`unshare --mount`) where the root's /usr is
 * an overlay of this machine's /usr (so sh, coreutils and node are there) with the shims on top. /etc,
 * /var, /opt and /run are the root's own directories, so nothing on this machine is touched and
 * /run/systemd/system exists only in the live-system roots. The test .deb holds the real scripts,
 * conffiles and control of packaging/deb, the real ems.conf and the agent from dist/ (what postinst's
 * `vnfkit-ems --check-config` runs), run by this machine's node instead of a bundled runtime, so no
 * `pnpm package` (and no download) is needed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, copyFile, cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROOT } from '../helpers/agent-process.js';

const exec = promisify(execFile);
const PKG = join(WORKSPACE_ROOT, 'packages/ems-agent');
const DEB_DIR = join(PKG, 'packaging/deb');
const VERSION = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
const NEXT_VERSION = `${VERSION}.1`;
const UNIT = 'vnfkit-ems.service';
const WANTS = `/etc/systemd/system/multi-user.target.wants/${UNIT}`;
/** deb-systemd-helper's record of the links it made for the unit. */
const DSH_STATE = `/var/lib/systemd/deb-systemd-helper-enabled/${UNIT}.dsh-also`;
/** Where the shims write, one line per call: `<maintainer script> <program> <arguments>`. */
const CALLS = '/vnfkit-test-calls.log';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const canRun =
  process.getuid?.() === 0 &&
  process.platform === 'linux' &&
  ['unshare', 'dpkg', 'dpkg-deb', 'chroot'].every((tool) => PATH.split(':').some((dir) => existsSync(join(dir, tool))));

/** A program that records its call (dpkg names the running script in DPKG_MAINTSCRIPT_NAME). */
function shim(extra = ''): string {
  return ['#!/bin/sh', `echo "\${DPKG_MAINTSCRIPT_NAME:-?} \${0##*/} $*" >> ${CALLS}`, extra, 'exit 0', ''].join('\n');
}

const SHIMS: Readonly<Record<string, string>> = {
  systemctl: shim(),
  'deb-systemd-invoke': shim(),
  // `was-enabled` is true on a first install (deb-systemd-helper's default); a test makes it false to
  // play an administrator's `systemctl disable`.
  'deb-systemd-helper': shim('if [ "$1 $2" = "--quiet was-enabled" ] && [ -f /vnfkit-test-disabled ]; then exit 1; fi'),
};

let work = '';
const debs: Record<string, string> = {};

/** A .deb like `pnpm package`'s (packaging/build.ts), with this machine's node and the agent of dist/. */
async function buildDeb(version: string): Promise<string> {
  const stage = join(work, `stage-${version}`);
  const lib = join(stage, 'usr/lib/vnfkit-ems');
  await mkdir(join(lib, 'dist'), { recursive: true });
  await copyFile(join(PKG, 'dist/cli.js'), join(lib, 'dist/cli.js'));
  await cp(join(PKG, 'dist/lazy'), join(lib, 'dist/lazy'), { recursive: true, filter: (source) => !source.endsWith('.map') });
  await writeFile(join(lib, 'package.json'), JSON.stringify({ name: 'vnfkit-ems', version, private: true, type: 'module' }));
  await mkdir(join(stage, 'usr/bin'), { recursive: true });
  await writeFile(join(stage, 'usr/bin/vnfkit-ems'), '#!/bin/sh\nexec /usr/bin/node /usr/lib/vnfkit-ems/dist/cli.js "$@"\n');
  await chmod(join(stage, 'usr/bin/vnfkit-ems'), 0o755);
  await mkdir(join(stage, 'lib/systemd/system'), { recursive: true });
  await copyFile(join(PKG, 'systemd', UNIT), join(stage, 'lib/systemd/system', UNIT));
  await mkdir(join(stage, 'etc/vnfkit'), { recursive: true });
  await copyFile(join(PKG, 'packaging/ems.conf'), join(stage, 'etc/vnfkit/ems.conf'));
  await chmod(join(stage, 'etc/vnfkit/ems.conf'), 0o600);
  await mkdir(join(stage, 'DEBIAN'));
  const control = (await readFile(join(DEB_DIR, 'control.in'), 'utf8'))
    .replace(/@VERSION@/g, version)
    .replace(/@INSTALLED_SIZE@/g, '1')
    .replace(/@NODE_VERSION@/g, process.versions.node);
  await writeFile(join(stage, 'DEBIAN/control'), control);
  await copyFile(join(DEB_DIR, 'conffiles'), join(stage, 'DEBIAN/conffiles'));
  for (const script of ['postinst', 'prerm', 'postrm']) {
    await copyFile(join(DEB_DIR, script), join(stage, 'DEBIAN', script));
    await chmod(join(stage, 'DEBIAN', script), 0o755);
  }
  const deb = join(work, `vnfkit-ems_${version}_amd64.deb`);
  await exec('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', stage, deb]);
  return deb;
}

/**
 * A throwaway root: dpkg database, /usr an overlay of this machine's /usr (changes kept in `usr-upper`
 * between runs) with the shims, /dev and /proc mounted in, all inside a private mount namespace.
 */
class Root {
  private constructor(readonly dir: string) {}

  static async create(name: string, options: { systemdRunning: boolean; initSystemHelpers: boolean; shims?: boolean }): Promise<Root> {
    const base = join(work, name);
    const root = new Root(join(base, 'root'));
    for (const dir of [
      'usr',
      'dev',
      'proc',
      'etc',
      'tmp',
      'opt',
      'run',
      'var/lib/dpkg/info',
      'var/lib/dpkg/updates',
      'var/lib/dpkg/triggers',
    ])
      await mkdir(join(root.dir, dir), { recursive: true });
    for (const dir of ['usr-upper/bin', 'usr-work']) await mkdir(join(base, dir), { recursive: true });
    await writeFile(join(root.dir, 'var/lib/dpkg/status'), '');
    for (const [link, target] of [
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
    ] as const)
      await exec('ln', ['-s', target, join(root.dir, link)]);
    for (const [name, text] of options.shims === false ? [] : Object.entries(SHIMS)) {
      await writeFile(join(base, 'usr-upper/bin', name), text);
      await chmod(join(base, 'usr-upper/bin', name), 0o755);
    }
    if (!options.initSystemHelpers)
      await root.run(['rm', '-f', root.path('/usr/bin/deb-systemd-helper'), root.path('/usr/bin/deb-systemd-invoke')]);
    if (options.systemdRunning) await mkdir(root.path('/run/systemd/system'), { recursive: true });
    await writeFile(root.path(CALLS), '');
    return root;
  }

  /** `path` of the root, seen from this machine (for /usr only inside `run`: it is the overlay there). */
  path(path: string): string {
    return join(this.dir, path);
  }

  /** Runs a command of this machine in the root's mount namespace (not chrooted). */
  async run(command: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const base = join(this.dir, '..');
    const setup = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=/usr,upperdir=${base}/usr-upper,workdir=${base}/usr-work ${this.dir}/usr`,
      `mount --rbind /dev ${this.dir}/dev`,
      `mount -t proc proc ${this.dir}/proc`,
      'exec "$@"',
    ].join('\n');
    try {
      const { stdout, stderr } = await exec('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...command], {
        env: { PATH, LANG: 'C.UTF-8', ...env },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  /** `dpkg --root` with these arguments; must succeed. Returns dpkg's (and the scripts') stderr. */
  async dpkg(...args: string[]): Promise<string> {
    const result = await this.run(['dpkg', `--root=${this.dir}`, '--force-depends', '--force-confold', ...args]);
    expect(result.code, `dpkg ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stderr;
  }

  /** The calls the shims recorded since the last `calls()`. */
  async calls(): Promise<string[]> {
    const text = await readFile(this.path(CALLS), 'utf8');
    await writeFile(this.path(CALLS), '');
    return text.split('\n').filter(Boolean);
  }

  /** Whether `path` exists in the root (inside the namespace: /usr and /lib are the overlay). */
  async exists(path: string): Promise<boolean> {
    return (await this.run(['test', '-e', this.path(path), '-o', '-L', this.path(path)])).code === 0;
  }

  async mode(path: string): Promise<number> {
    return (await stat(this.path(path))).mode & 0o777;
  }

  async status(): Promise<string> {
    const result = await this.run(['dpkg-query', `--root=${this.dir}`, '-W', '-f=${Status}', 'vnfkit-ems']);
    return result.code === 0 ? result.stdout : 'not installed';
  }
}

/** The calls postinst makes to enable the unit, as dh_installsystemd's snippet does. */
const ENABLE = [
  'postinst deb-systemd-helper unmask vnfkit-ems.service',
  'postinst deb-systemd-helper --quiet was-enabled vnfkit-ems.service',
  'postinst deb-systemd-helper enable vnfkit-ems.service',
];
const NOT_STARTED = /vnfkit-ems: not started: configure \/etc\/vnfkit\/ems\.conf/;

beforeAll(async () => {
  if (!canRun) return;
  if (!existsSync(join(PKG, 'dist/cli.js')) || !existsSync(join(PKG, 'dist/lazy'))) {
    await exec('pnpm', ['--filter', '@vnfkit/ems-agent...', 'run', 'build'], {
      cwd: WORKSPACE_ROOT,
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  work = await mkdtemp(join(tmpdir(), 'vnfkit-maintainer-scripts-'));
  debs[VERSION] = await buildDeb(VERSION);
  debs[NEXT_VERSION] = await buildDeb(NEXT_VERSION);
}, 160_000);

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe.skipIf(!canRun)('maintainer scripts: an image build (no systemd running)', () => {
  it('with init-system-helpers: enables the unit through deb-systemd-helper and never calls systemctl', async () => {
    const root = await Root.create('image', { systemdRunning: false, initSystemHelpers: true });

    const installed = await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await root.calls()).toEqual(ENABLE);
    expect(installed).not.toMatch(NOT_STARTED);
    expect(await root.status()).toBe('install ok installed');
    expect(await root.mode('/etc/vnfkit/ems.conf')).toBe(0o600);
    expect(await root.mode('/var/lib/vnfkit-ems')).toBe(0o700);
    expect(await root.mode('/opt/openbaton/scripts')).toBe(0o700);

    // Upgrade: prerm and postrm "upgrade" do nothing; postinst enables again (new symlinks, if any).
    await root.dpkg('-i', debs[NEXT_VERSION] ?? '');
    expect(await root.calls()).toEqual(ENABLE);

    await appendFile(root.path('/etc/vnfkit/ems.conf'), 'hostname = vnfc-image-1\n');
    await writeFile(root.path('/var/lib/vnfkit-ems/record.json'), '{}');
    await root.dpkg('-r', 'vnfkit-ems');
    expect(await root.calls()).toEqual([]);
    expect(await root.status()).toBe('deinstall ok config-files');

    await root.dpkg('-P', 'vnfkit-ems');
    expect(await root.calls()).toEqual([
      'postrm deb-systemd-helper purge vnfkit-ems.service',
      'postrm deb-systemd-helper unmask vnfkit-ems.service',
    ]);
    for (const path of ['/etc/vnfkit', '/var/lib/vnfkit-ems', '/opt/openbaton']) expect(await root.exists(path), path).toBe(false);
    expect(await root.status()).toBe('not installed');
  });

  it("with this machine's real deb-systemd-helper and systemctl (offline, as in a chroot): the image boots with the unit enabled", async () => {
    const root = await Root.create('image-real', { systemdRunning: false, initSystemHelpers: true, shims: false });
    await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await readlink(root.path(WANTS))).toBe(`/lib/systemd/system/${UNIT}`);
    expect(existsSync(root.path(DSH_STATE))).toBe(true);
    await root.dpkg('-i', debs[NEXT_VERSION] ?? '');
    expect(await readlink(root.path(WANTS))).toBe(`/lib/systemd/system/${UNIT}`);
    await root.dpkg('-r', 'vnfkit-ems');
    await root.dpkg('-P', 'vnfkit-ems');
    for (const path of ['/etc/vnfkit', '/var/lib/vnfkit-ems', '/opt/openbaton', WANTS]) expect(await root.exists(path), path).toBe(false);
    // deb-systemd-helper's own records of the enablement go too.
    expect(existsSync(root.path(DSH_STATE))).toBe(false);
  });

  it('without init-system-helpers: links the unit into multi-user.target once, keeps a disable, unlinks on purge', async () => {
    const root = await Root.create('image-bare', { systemdRunning: false, initSystemHelpers: false });

    await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await root.calls()).toEqual([]);
    expect(await readlink(root.path(WANTS))).toBe(`/lib/systemd/system/${UNIT}`);

    // An administrator's "systemctl disable" survives an upgrade.
    await rm(root.path(WANTS));
    await root.dpkg('-i', debs[NEXT_VERSION] ?? '');
    expect(await root.calls()).toEqual([]);
    expect(await root.exists(WANTS)).toBe(false);

    // remove keeps the enablement (as dh_installsystemd's scripts do), purge drops it.
    await root.dpkg('-i', debs[VERSION] ?? ''); // a downgrade: postinst configure with the old version, so no link
    await exec('ln', ['-s', `/lib/systemd/system/${UNIT}`, root.path(WANTS)]);
    await root.dpkg('-r', 'vnfkit-ems');
    expect(await root.calls()).toEqual([]);
    expect(
      await lstat(root.path(WANTS)).then(
        () => true,
        () => false,
      ),
    ).toBe(true);
    await root.dpkg('-P', 'vnfkit-ems');
    expect(await root.calls()).toEqual([]);
    expect(
      await lstat(root.path(WANTS)).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    for (const path of ['/etc/vnfkit', '/var/lib/vnfkit-ems', '/opt/openbaton']) expect(await root.exists(path), path).toBe(false);
  });
});

describe.skipIf(!canRun)('maintainer scripts: a live system (systemd running)', () => {
  it('install unconfigured: daemon-reload, not started, and says how to configure it', async () => {
    const root = await Root.create('live', { systemdRunning: true, initSystemHelpers: true });

    const installed = await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await root.calls()).toEqual([...ENABLE, 'postinst systemctl --system daemon-reload']);
    expect(installed).toMatch(NOT_STARTED);

    // Configured by hand, then upgraded: restarted (deb-systemd-invoke honours policy-rc.d and a disable).
    await appendFile(root.path('/etc/vnfkit/ems.conf'), 'hostname = vnfc-live-1\n');
    const upgraded = await root.dpkg('-i', debs[NEXT_VERSION] ?? '');
    expect(upgraded).not.toMatch(NOT_STARTED);
    expect(await root.calls()).toEqual([
      'postrm systemctl --system daemon-reload', // postrm upgrade
      ...ENABLE,
      'postinst systemctl --system daemon-reload',
      'postinst deb-systemd-invoke restart vnfkit-ems.service',
    ]);

    // remove: stopped first, then the unit file goes; the configuration, the records and the VNF's scripts stay.
    await writeFile(root.path('/var/lib/vnfkit-ems/record.json'), '{}');
    await writeFile(root.path('/opt/openbaton/scripts/install.sh'), 'echo installed\n');
    await root.dpkg('-r', 'vnfkit-ems');
    expect(await root.calls()).toEqual(['prerm deb-systemd-invoke stop vnfkit-ems.service', 'postrm systemctl --system daemon-reload']);
    expect(await readFile(root.path('/etc/vnfkit/ems.conf'), 'utf8')).toContain('hostname = vnfc-live-1');
    expect(await root.exists('/var/lib/vnfkit-ems/record.json')).toBe(true);
    expect(await root.exists(`/lib/systemd/system/${UNIT}`)).toBe(false);
    expect(await root.exists('/usr/bin/vnfkit-ems')).toBe(false);

    // purge: the configuration (dpkg) and the state directory (postrm) go; the VNF's scripts are not ours to delete.
    await root.dpkg('-P', 'vnfkit-ems');
    expect(await root.calls()).toEqual([
      'postrm systemctl --system daemon-reload',
      'postrm deb-systemd-helper purge vnfkit-ems.service',
      'postrm deb-systemd-helper unmask vnfkit-ems.service',
    ]);
    for (const path of ['/etc/vnfkit', '/var/lib/vnfkit-ems']) expect(await root.exists(path), path).toBe(false);
    expect(await readFile(root.path('/opt/openbaton/scripts/install.sh'), 'utf8')).toBe('echo installed\n');
  });

  it('install onto a configuration already in place: started, the file made root-only; a disable is kept on upgrade', async () => {
    const root = await Root.create('live-configured', { systemdRunning: true, initSystemHelpers: true });
    await mkdir(root.path('/etc/vnfkit'));
    await writeFile(root.path('/etc/vnfkit/ems.conf'), '[ems]\nhostname = vnfc-live-2\n', { mode: 0o644 });

    await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await root.calls()).toEqual([
      ...ENABLE,
      'postinst systemctl --system daemon-reload',
      'postinst deb-systemd-invoke start vnfkit-ems.service',
    ]);
    expect(await readFile(root.path('/etc/vnfkit/ems.conf'), 'utf8')).toBe('[ems]\nhostname = vnfc-live-2\n');
    expect(await root.mode('/etc/vnfkit/ems.conf')).toBe(0o600);

    // The administrator disabled the unit: the upgrade only updates deb-systemd-helper's state, no enable.
    await writeFile(root.path('/vnfkit-test-disabled'), '');
    await root.dpkg('-i', debs[NEXT_VERSION] ?? '');
    expect(await root.calls()).toEqual([
      'postrm systemctl --system daemon-reload',
      'postinst deb-systemd-helper unmask vnfkit-ems.service',
      'postinst deb-systemd-helper --quiet was-enabled vnfkit-ems.service',
      'postinst deb-systemd-helper update-state vnfkit-ems.service',
      'postinst systemctl --system daemon-reload',
      'postinst deb-systemd-invoke restart vnfkit-ems.service',
    ]);
  });

  it('without init-system-helpers: systemctl start and stop directly', async () => {
    const root = await Root.create('live-bare', { systemdRunning: true, initSystemHelpers: false });
    await mkdir(root.path('/etc/vnfkit'));
    await writeFile(root.path('/etc/vnfkit/ems.conf'), '[ems]\nhostname = vnfc-live-3\n');

    await root.dpkg('-i', debs[VERSION] ?? '');
    expect(await root.calls()).toEqual(['postinst systemctl --system daemon-reload', 'postinst systemctl start vnfkit-ems.service']);
    expect(await readlink(root.path(WANTS))).toBe(`/lib/systemd/system/${UNIT}`);

    await root.dpkg('-r', 'vnfkit-ems');
    expect(await root.calls()).toEqual(['prerm systemctl stop vnfkit-ems.service', 'postrm systemctl --system daemon-reload']);
    await root.dpkg('-P', 'vnfkit-ems');
    expect(await root.calls()).toEqual(['postrm systemctl --system daemon-reload']);
    for (const path of ['/etc/vnfkit', '/var/lib/vnfkit-ems', '/opt/openbaton', WANTS]) expect(await root.exists(path), path).toBe(false);
  });
});
