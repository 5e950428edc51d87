/**
 * The agent as npm ships it: `pnpm pack`, unpacked where no node_modules is, installed by the user-data
 * templates the way a VM runs them (npm and systemctl stubbed, paths redirected into a temp root), then
 * the installed copy in /opt/vnfkit/ems-agent run against the real broker. Needs `pnpm build` (pnpm test
 * builds first).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { vnfmIdentity } from '@vnfkit/protocol';
import { renderUserData, USER_DATA_TEMPLATES } from '../../src/user-data.js';
import type { UserDataKind, UserDataValues } from '../../src/user-data.js';
import { AgentProcess, WORKSPACE_ROOT } from '../helpers/agent-process.js';
import { AMQP_URL, FakeVnfm, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { tempDir, uniqueHostname, uniqueName } from '../helpers/temp.js';
import { waitFor, withDeadline } from '../helpers/wait-for.js';

const exec = promisify(execFile);
const PKG = join(WORKSPACE_ROOT, 'packages/ems-agent');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTEST\n-----END CERTIFICATE-----';
const KEY = 'k'.repeat(43);

let tarball = '';
/** The unpacked package (`package/` of the tarball). */
let unpacked = '';
let packDir = '';

beforeAll(async () => {
  if (!existsSync(join(PKG, 'dist/lazy'))) throw new Error('packages/ems-agent/dist is missing or stale: run pnpm build');
  const dir = (packDir = await mkdtemp(join(tmpdir(), 'vnfkit-pack-')));
  await exec('pnpm', ['pack', '--pack-destination', dir], { cwd: PKG, timeout: 60_000 });
  tarball = join(dir, (await exec('sh', ['-c', 'ls *.tgz'], { cwd: dir })).stdout.trim());
  await exec('tar', ['-xzf', tarball, '-C', dir]);
  unpacked = join(dir, 'package');
  for (let parent = unpacked; parent !== dirname(parent); parent = dirname(parent))
    expect(existsSync(join(parent, 'node_modules'))).toBe(false);
}, 90_000);

afterAll(() => (packDir ? rm(packDir, { recursive: true, force: true }) : undefined));

/** Stubs of npm (`root -g` answers `npmRoot`) and systemctl, each call appended to `calls`. */
async function stubs(npmRoot: string): Promise<{ bin: string; calls: string }> {
  const bin = await tempDir('vnfkit-stubs-');
  const calls = join(bin, 'calls');
  await writeFile(join(bin, 'npm'), `#!/bin/sh\necho "npm $*" >> '${calls}'\nif [ "$1" = root ]; then echo '${npmRoot}'; fi\n`);
  await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> '${calls}'\n`);
  await writeFile(join(bin, 'vnfkit-ems'), `#!/bin/sh\necho "vnfkit-ems $*" >> '${calls}'\n`);
  for (const name of ['npm', 'systemctl', 'vnfkit-ems']) await chmod(join(bin, name), 0o755);
  return { bin, calls };
}

/**
 * Renders a template, lets the "NFVO" fill the hostname, and redirects its fixed paths (/etc/vnfkit,
 * /var/log) into `dir`: the script a VM would run, runnable here.
 */
async function userDataScript(kind: UserDataKind, values: UserDataValues, vm: { hostname: string; dir: string }): Promise<string> {
  const { hostname, dir } = vm;
  const rendered = await renderUserData(values, kind);
  expect(rendered).not.toMatch(/\{\{/);
  await exec('bash', ['-n', '-c', rendered]);
  const file = join(dir, `user-data-${kind}.sh`);
  await writeFile(
    file,
    rendered
      .replaceAll('#Hostname=', `Hostname=${hostname}`)
      .replaceAll('/etc/vnfkit', join(dir, 'etc-vnfkit'))
      .replaceAll('/var/log/', `${dir}/`),
  );
  return file;
}

describe('the npm tarball (pnpm pack)', () => {
  it('ships install.sh without its execute bit (so everything runs it with bash), both templates and dist/lazy', async () => {
    const { stdout } = await exec('tar', ['-tvzf', tarball]);
    expect(stdout).toMatch(/^-rw-r--r-- .* package\/systemd\/install\.sh$/m);
    for (const file of [
      'systemd/user-data.sh.tmpl',
      'systemd/user-data-preinstalled.sh.tmpl',
      'dist/lazy/protocol.js',
      'dist/lazy/execa.js',
    ]) {
      expect(stdout).toContain(`package/${file}`);
    }
    for (const kind of ['install', 'preinstalled'] as const) expect(existsSync(USER_DATA_TEMPLATES[kind])).toBe(true);
    // The templates run it through bash, never directly.
    expect(await readFile(join(unpacked, 'systemd/user-data.sh.tmpl'), 'utf8')).toMatch(
      /^bash "\$\(npm root -g\)\/@vnfkit\/ems-agent\/systemd\/install\.sh" --force-config$/m,
    );
  });

  it('installs in an image build without anything host-specific in ems.conf', async () => {
    const root = await tempDir('vnfkit-image-');
    const { bin, calls } = await stubs('/nonexistent');
    // As `sudo bash install.sh` in an image build: sudo sets USERNAME to the target user.
    const { stderr } = await exec('bash', [join(unpacked, 'systemd/install.sh')], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, EMS_INSTALL_ROOT: root, SUDO_USER: 'builder', USERNAME: userInfo().username },
    });
    const conf = await readFile(join(root, 'etc/vnfkit/ems.conf'), 'utf8');
    expect(conf.split('\n').filter((line) => line !== '' && !line.startsWith('#'))).toEqual(['[ems]']);
    expect(stderr).toMatch(/no hostname configured yet/);
    // No running systemd in an image build: enabled offline, not started.
    expect(await readFile(calls, 'utf8')).toBe(`systemctl --root=${root} enable vnfkit-ems.service\n`);
    expect(existsSync(join(root, 'opt/vnfkit/ems-agent/node_modules'))).toBe(false);
  });

  it('--check-config of an installed copy reports a missing lazily loaded module (exit 1)', async () => {
    const copy = join(await tempDir('vnfkit-broken-'), 'ems-agent');
    await cp(unpacked, copy, { recursive: true });
    await rm(join(copy, 'dist/lazy/execa.js'));
    const conf = join(copy, 'ems.conf');
    await writeFile(conf, '[ems]\nhostname=broken-1\n');
    const failed = await exec(process.execPath, [join(copy, 'dist/cli.js'), '--check-config', '--config', conf]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/broken installation: cannot load execa/);
  });

  it('renders both user-data templates with amqp_url, the CA PEM, signing_key, vnfm_public_key and the vhost; the preinstalled one writes them', async () => {
    const VNFM_PUBLIC_KEY = vnfmIdentity('a-master-key-of-the-vnfm-0123').publicKey;
    const values: UserDataValues = {
      AMQP_URL: 'amqps://ems:pw@broker.example:5671/nfv',
      TLS_CA_PEM: PEM,
      SIGNING_KEY: KEY,
      VNFM_PUBLIC_KEY: VNFM_PUBLIC_KEY,
      VIRTUAL_HOST: 'nfv',
      TYPE: 'generic',
    };
    for (const kind of ['install', 'preinstalled'] as const) {
      const text = await renderUserData(values, kind);
      expect(text).toContain("export AMQP_URL='amqps://ems:pw@broker.example:5671/nfv'\n");
      expect(text).toContain(`TLS_CA_PEM='${PEM}'\n`);
      expect(text).toContain(`export SIGNING_KEY='${KEY}'\n`);
      expect(text).toContain(`export VNFM_PUBLIC_KEY='${VNFM_PUBLIC_KEY}'\n`);
      expect(text).toContain("export VIRTUAL_HOST='nfv'\n");
      expect(text).toContain("export BROKER_IP=''\n");
    }
    const dir = await tempDir('vnfkit-preinstalled-');
    const { bin, calls } = await stubs('/nonexistent');
    const script = await userDataScript('preinstalled', values, { hostname: 'web-7', dir });
    await exec('bash', [script], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await readFile(join(dir, 'vnfkit-ems-user-data.log'), 'utf8').catch(() => '')}`);
    });
    const conf = await readFile(join(dir, 'etc-vnfkit/ems.conf'), 'utf8');
    expect(conf.split('\n').filter((line) => line !== '' && !line.startsWith('#'))).toEqual([
      '[ems]',
      'broker_port=5672',
      'hostname=web-7',
      'type=generic',
      'exchange=openbaton-exchange',
      'heartbeat=60',
      'autodelete=true',
      'virtual_host=nfv',
      'amqp_url=amqps://ems:pw@broker.example:5671/nfv',
      `tls_ca_file=${dir}/etc-vnfkit/broker-ca.pem`,
      `signing_key=${KEY}`,
      'require_signing=true',
      `vnfm_public_key=${VNFM_PUBLIC_KEY}`,
    ]);
    expect(await readFile(join(dir, 'etc-vnfkit/broker-ca.pem'), 'utf8')).toBe(`${PEM}\n`);
    expect(await readFile(calls, 'utf8')).toBe(
      'vnfkit-ems --check-config\nsystemctl enable vnfkit-ems.service\nsystemctl restart vnfkit-ems.service\n',
    );
  });
});

describe.skipIf(SKIP_BROKER_TESTS)('the npm tarball installed by the install user-data, run from /opt', () => {
  it('installs from the unpacked package with bash, then the installed copy passes --check-config, says hello and runs SAVE_VNFR_DEPENDENCY', async () => {
    const dir = await tempDir('vnfkit-boot-');
    const root = join(dir, 'root');
    // What `npm install -g` leaves (without the node_modules the agent no longer needs).
    const npmRoot = join(dir, 'npm-global');
    await mkdir(join(npmRoot, '@vnfkit'), { recursive: true });
    await cp(unpacked, join(npmRoot, '@vnfkit/ems-agent'), { recursive: true });
    const { bin, calls } = await stubs(npmRoot);
    const type = uniqueName('packed');
    const hostname = uniqueHostname('packed');
    const vnfm = await FakeVnfm.start(type);
    const script = await userDataScript('install', { AMQP_URL, TLS_CA_PEM: PEM, VIRTUAL_HOST: '/', TYPE: type }, { hostname, dir });
    await exec('bash', [script], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, EMS_INSTALL_ROOT: root }, timeout: 60_000 }).catch(
      async (error: Error) => {
        throw new Error(`${error.message}\n${await readFile(join(dir, 'vnfkit-ems-user-data.log'), 'utf8').catch(() => '')}`);
      },
    );
    expect(await readFile(calls, 'utf8')).toBe(
      `npm install -g @vnfkit/ems-agent\nnpm root -g\nsystemctl --root=${root} enable vnfkit-ems.service\n`,
    );
    const conf = join(root, 'etc/vnfkit/ems.conf');
    const text = await readFile(conf, 'utf8');
    expect(text).toMatch(new RegExp(`^hostname=${hostname}$`, 'm'));
    expect(text).toContain(`amqp_url=${AMQP_URL}\n`);
    expect(text).toContain(`tls_ca_file=${dir}/etc-vnfkit/broker-ca.pem\n`);
    expect(text).not.toMatch(/^broker_ip=/m);

    const prefix = join(root, 'opt/vnfkit/ems-agent');
    expect(existsSync(join(prefix, 'node_modules'))).toBe(false);
    // The installed copy, moved away from anything it could resolve packages from.
    const env = { PATH: process.env.PATH ?? '', VNFKIT_EMS_SCRIPTS_DIR: join(dir, 'scripts'), VNFKIT_EMS_STATE_DIR: join(dir, 'state') };
    const check = await exec(process.execPath, [join(prefix, 'dist/cli.js'), '--check-config', '--config', conf], { env });
    expect(check.stderr).toBe('');
    const agent = new AgentProcess(
      spawn(process.execPath, [join(prefix, 'dist/cli.js'), '--config', conf], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    try {
      await waitFor(() => vnfm.hellosFrom(hostname) >= 1, {
        timeoutMs: 15_000,
        what: `the hello of ${hostname} (stderr: ${agent.stderr})`,
      });
      // A malformed command: refused by the protocol's schema, loaded on first use.
      const malformed = await vnfm.send(hostname, { action: 'EXECUTE' });
      expect(malformed.json.status).not.toBe(0);
      expect(malformed.body).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find/);
      const dependency = {
        target: 'client',
        parameters: { server: { parameters: { conf: 'a b' } } },
        vnfcParameters: {},
        idType: { 'iperf-server': 'server' },
      };
      const dep = await vnfm.send(hostname, {
        action: 'SAVE_VNFR_DEPENDENCY',
        payload: JSON.stringify(dependency),
        'script-path': '/opt/openbaton/scripts',
      });
      expect(dep.json).toMatchObject({ err: '', status: 0 });
      expect(parse(await readFile(join(dir, 'scripts/ob_parameters.yaml'), 'utf8'))).toEqual(dependency);
      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(agent.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND/);
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.child.kill('SIGKILL');
        await withDeadline(agent.exited, 10_000, 'the installed agent to die').catch(() => undefined);
      }
    }
  });
});
