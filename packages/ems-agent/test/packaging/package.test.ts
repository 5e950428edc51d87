/**
 * `pnpm package` (packaging/build.ts): the .deb installed for real with dpkg and the tarball unpacked
 * where no node_modules exists, each running its own Node.js runtime against the real broker.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, lstat, mkdir, readFile, readlink, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGED_NODE } from '../../packaging/build.js';
import { AgentProcess, WORKSPACE_ROOT, writeConfig } from '../helpers/agent-process.js';
import { fillUserDataTemplate } from '../../src/user-data.js';
import { b64 } from '../helpers/agent-config.js';
import { AMQP_URL, FakeVnfm, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { servedRepository } from '../helpers/git-daemon.js';
import { tempDir, uniqueHostname, uniqueName } from '../helpers/temp.js';
import { waitFor, withDeadline } from '../helpers/wait-for.js';

const exec = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'packages/ems-agent/package.json'), 'utf8')) as { version: string }).version;
const OUT = join(WORKSPACE_ROOT, 'dist-packages');
const DEB = join(OUT, `vnfkit-ems_${VERSION}_amd64.deb`);
const TARBALL = join(OUT, `vnfkit-ems-${VERSION}-linux.tar.gz`);
const TOP = `vnfkit-ems-${VERSION}`;
const IS_ROOT = process.getuid?.() === 0;

/**
 * The environment of a packaged agent: no NODE_* variables, and a PATH whose first `node` is a fake
 * that fails loudly, so an agent that ran any `node` from PATH (the machine's is /usr/bin/node) would fail.
 */
async function isolatedEnv(): Promise<NodeJS.ProcessEnv> {
  const fakeBin = await tempDir('vnfkit-fakebin-');
  await writeFile(join(fakeBin, 'node'), '#!/bin/sh\necho "the machine\'s node was used" >&2\nexit 97\n');
  await chmod(join(fakeBin, 'node'), 0o755);
  const env: NodeJS.ProcessEnv = { PATH: `${fakeBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, LANG: 'C.UTF-8' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/** A config for a packaged agent against the test broker, scripts and state in a temp dir. */
async function agentConfig(type: string): Promise<{ file: string; hostname: string; scriptsDir: string }> {
  const dir = await tempDir('vnfkit-pkg-agent-');
  const hostname = uniqueHostname('packaged');
  const scriptsDir = join(dir, 'scripts');
  const file = await writeConfig(dir, {
    hostname,
    type,
    amqp_url: AMQP_URL,
    scripts_dir: scriptsDir,
    state_dir: join(dir, 'state'),
    command_timeout: 20,
    allow_git_protocols: 'https,ssh,git',
  });
  return { file, hostname, scriptsDir };
}

async function runProgram(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(program, args, { env, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/**
 * Runs `program --config <file>` (the packaged wrapper), checks that the process is the package's own
 * node, that it says hello and runs commands, including the ones that load bundled modules lazily
 * (SAVE_VNFR_DEPENDENCY: the protocol schemas; CLONE_SCRIPTS: execa), then stops it with SIGTERM.
 */
async function exerciseAgent(program: string, expectedNode: string): Promise<void> {
  const env = await isolatedEnv();
  const type = uniqueName('pkg');
  const vnfm = await FakeVnfm.start(type);
  const { file, hostname, scriptsDir } = await agentConfig(type);

  const check = await runProgram(program, ['--check-config', '--config', file], env);
  expect(check.stderr).toBe('');
  expect(check.code).toBe(0);
  expect((JSON.parse(check.stdout) as { config: { hostname: string } }).config.hostname).toBe(hostname);

  const agent = new AgentProcess(spawn(program, ['--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitFor(() => vnfm.hellosFrom(hostname) >= 1, { timeoutMs: 15_000, what: `the hello of ${hostname} (stderr: ${agent.stderr})` });
    // The wrapper exec'd the package's node: the agent process is that binary.
    expect(await readlink(`/proc/${agent.child.pid}/exe`)).toBe(expectedNode);

    const save = await vnfm.send(hostname, {
      action: 'SAVE_SCRIPTS',
      payload: b64('echo "installed $1 in $SCRIPTS_PATH"\n'),
      name: 'install.sh',
      'script-path': '/opt/openbaton/scripts',
    });
    expect(save.json).toEqual({ output: "['install.sh']", err: '', status: 0 });
    const run = await vnfm.send(hostname, { action: 'EXECUTE', payload: 'install.sh arg1' });
    expect(run.json).toEqual({ output: `installed arg1 in ${scriptsDir}\n`, err: '', status: 0 });

    const dependency = {
      target: 'client',
      parameters: { server: { parameters: { conf: 'a b' } } },
      vnfcParameters: { server: { parameters: { id1: { parameters: { private: '10.0.0.7' } } } } },
      idType: { 'iperf-server': 'server' },
    };
    const dep = await vnfm.send(hostname, {
      action: 'SAVE_VNFR_DEPENDENCY',
      payload: JSON.stringify(dependency),
      'script-path': '/opt/openbaton/scripts',
    });
    expect(dep.json).toMatchObject({ err: '', status: 0 });
    expect(await readFile(join(scriptsDir, 'ob_parameters.sh'), 'utf8')).toContain("export OB_server_VNFC_private='10.0.0.7'");

    const url = await servedRepository({ 'configure.sh': 'echo cloned\n' });
    const clone = await vnfm.send(
      hostname,
      { action: 'CLONE_SCRIPTS', payload: url, 'script-path': '/opt/openbaton/scripts' },
      { timeoutMs: 30_000 },
    );
    expect(clone.json).toMatchObject({ output: "['.git', 'configure.sh']", status: 0 });
    expect((await vnfm.send(hostname, { action: 'EXECUTE', payload: 'configure.sh' })).json).toEqual({
      output: 'cloned\n',
      err: '',
      status: 0,
    });

    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(agent.stderr).toBe('');
  } finally {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await withDeadline(agent.exited, 10_000, 'the packaged agent to die').catch(() => undefined);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  // One build for the whole file (bundle, runtime from .cache/, dpkg-deb, tar): about 10-15 s.
  await exec('pnpm', ['package'], { cwd: WORKSPACE_ROOT, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
}, 160_000);

describe('pnpm package: the artefacts', () => {
  it('writes the .deb (amd64: it carries a Node.js binary) and the tarball, named after the version', () => {
    expect(existsSync(DEB)).toBe(true);
    expect(existsSync(TARBALL)).toBe(true);
  });

  it('puts the bundled agent, its own node and no node_modules into the tarball', async () => {
    const { stdout } = await exec('tar', ['-tzf', TARBALL]);
    const entries = stdout
      .split('\n')
      .filter(Boolean)
      .map((entry) => entry.replace(/\/$/, ''));
    expect(entries.filter((entry) => entry.split('/').includes('node_modules'))).toEqual([]);
    expect(entries.every((entry) => entry === TOP || entry.startsWith(`${TOP}/`))).toBe(true);
    for (const file of [
      'bin/vnfkit-ems',
      'node/bin/node',
      'node/LICENSE',
      'dist/cli.js',
      'package.json',
      'install.sh',
      'systemd/vnfkit-ems.service',
      'ems.conf.example',
      'user-data.sh.tmpl',
      'README.md',
      'LICENSE',
      'THIRD-PARTY-LICENSES.md',
    ]) {
      expect(entries).toContain(`${TOP}/${file}`);
    }
  });

  it('builds the .deb with the wrapper, the unit, a conffile and no dependency on nodejs', async () => {
    const { stdout: files } = await exec('dpkg-deb', ['-c', DEB]);
    expect(files).not.toMatch(/node_modules/);
    for (const path of [
      './usr/bin/vnfkit-ems',
      './usr/lib/vnfkit-ems/node/bin/node',
      './usr/lib/vnfkit-ems/dist/cli.js',
      './lib/systemd/system/vnfkit-ems.service',
      './etc/vnfkit/ems.conf',
      './usr/share/vnfkit-ems/user-data.sh.tmpl',
      './usr/share/doc/vnfkit-ems/copyright',
    ]) {
      expect(files).toContain(path);
    }
    expect(files).toMatch(/^-rw------- root\/root .* \.\/etc\/vnfkit\/ems\.conf$/m);
    const { stdout: control } = await exec('dpkg-deb', ['-f', DEB]);
    expect(control).toMatch(/^Package: vnfkit-ems$/m);
    expect(control).toMatch(new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(control).toMatch(/^Architecture: amd64$/m);
    expect(control).not.toMatch(/^(Pre-)?Depends:.*nodejs/m);
    const { stdout: conffiles } = await exec('dpkg-deb', ['--info', DEB, 'conffiles']);
    expect(conffiles.trim()).toBe('/etc/vnfkit/ems.conf');
  });

  it('renders the image user-data template with the same values as the npm one', async () => {
    const template = await readFile(join(WORKSPACE_ROOT, 'packages/ems-agent/systemd/user-data-preinstalled.sh.tmpl'), 'utf8');
    const script = fillUserDataTemplate(template, { BROKER_IP: '10.0.0.5', USERNAME: 'admin', PASSWORD: "pa'ss", TYPE: 'generic' });
    expect(script).toContain("export BROKER_IP='10.0.0.5'");
    expect(script).toContain("export PASSWORD='pa'\\''ss'");
    expect(script).toContain('export #Hostname=');
    expect(script).not.toMatch(/\{\{|npm install/);
    const file = join(await tempDir('vnfkit-user-data-'), 'user-data.sh');
    await writeFile(file, script);
    await exec('bash', ['-n', file]);
  });
});

describe.skipIf(SKIP_BROKER_TESTS)('the tarball, unpacked where no node_modules is', () => {
  it(`carries Node ${PACKAGED_NODE}, a supported LTS, not the machine's node`, async () => {
    const dir = await tempDir('vnfkit-pkg-node-');
    await exec('tar', ['-xzf', TARBALL, '-C', dir]);
    const { stdout } = await exec(join(dir, TOP, 'node/bin/node'), ['--version'], { env: await isolatedEnv() });
    expect(stdout.trim()).toMatch(new RegExp(`^v${PACKAGED_NODE}\\.`));
  });

  it('runs its own node and the bundled agent: --check-config, hello, commands', async () => {
    const dir = await tempDir('vnfkit-tarball-');
    for (let parent = dir; parent !== dirname(parent); parent = dirname(parent))
      expect(existsSync(join(parent, 'node_modules'))).toBe(false);
    await exec('tar', ['-xzf', TARBALL, '-C', dir]);
    await exerciseAgent(join(dir, TOP, 'bin/vnfkit-ems'), join(dir, TOP, 'node/bin/node'));
  });

  it('install.sh installs into an image root without host-specific files, and uninstalls', async () => {
    const dir = await tempDir('vnfkit-tarball-install-');
    await exec('tar', ['-xzf', TARBALL, '-C', dir]);
    const image = join(dir, 'image');
    await mkdir(image);
    await exec(join(dir, TOP, 'install.sh'), ['--root', image], { env: await isolatedEnv() });
    const conf = join(image, 'etc/vnfkit/ems.conf');
    expect(await readFile(conf, 'utf8')).toBe(await readFile(join(dir, TOP, 'ems.conf.example'), 'utf8'));
    expect((await stat(conf)).mode & 0o777).toBe(0o600);
    expect((await stat(join(image, 'var/lib/vnfkit-ems'))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(image, 'usr/local/bin/vnfkit-ems'), 'utf8')).toContain(
      'exec /opt/vnfkit/ems-agent/node/bin/node /opt/vnfkit/ems-agent/dist/cli.js "$@"',
    );
    expect(await readFile(join(image, 'etc/systemd/system/vnfkit-ems.service'), 'utf8')).toMatch(
      /^ExecStart=\/usr\/local\/bin\/vnfkit-ems$/m,
    );
    expect(await readlink(join(image, 'etc/systemd/system/multi-user.target.wants/vnfkit-ems.service'))).toBe(
      '/etc/systemd/system/vnfkit-ems.service',
    );
    const { stdout } = await exec(join(image, 'opt/vnfkit/ems-agent/bin/vnfkit-ems'), ['--version'], { env: await isolatedEnv() });
    expect(stdout.trim()).toBe(`vnfkit-ems ${VERSION}`);

    await exec(join(image, 'opt/vnfkit/ems-agent/install.sh'), ['--uninstall', '--root', image]);
    expect(await exists(join(image, 'opt/vnfkit'))).toBe(false);
    expect(await exists(join(image, 'usr/local/bin/vnfkit-ems'))).toBe(false);
    expect(await exists(join(image, 'etc/systemd/system/vnfkit-ems.service'))).toBe(false);
    expect(await exists(conf)).toBe(true);
    await exec(join(dir, TOP, 'install.sh'), ['--uninstall', '--purge', '--root', image]);
    expect(await exists(join(image, 'etc/vnfkit'))).toBe(false);
    expect(await exists(join(image, 'var/lib/vnfkit-ems'))).toBe(false);
  });
});

/** Paths the .deb test touches on this machine that existed before it: moved aside, put back after. */
const SAVED = ['/etc/vnfkit/ems.conf', '/var/lib/vnfkit-ems'];
const WANTS = '/etc/systemd/system/multi-user.target.wants/vnfkit-ems.service';

describe.skipIf(!IS_ROOT || SKIP_BROKER_TESTS)('the .deb, installed with dpkg on this machine', () => {
  const moved: string[] = [];

  beforeAll(async () => {
    const status = await exec('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'vnfkit-ems']).then(
      (r) => r.stdout,
      () => '',
    );
    if (status.trim() !== '' && !status.startsWith('un'))
      throw new Error(`vnfkit-ems is already installed here (${status.trim()}); purge it before running this test`);
    for (const path of SAVED) {
      if (await exists(path)) {
        await rename(path, `${path}.vnfkit-test-saved`);
        moved.push(path);
      }
    }
  });

  afterAll(async () => {
    await exec('dpkg', ['--purge', 'vnfkit-ems']).catch(() => undefined);
    for (const path of moved) await rename(`${path}.vnfkit-test-saved`, path);
  });

  it('installs (no systemd running: enabled, not started), runs, and removes then purges', async () => {
    await exec('dpkg', ['-i', DEB], { timeout: 60_000 });
    const wrapper = await readFile('/usr/bin/vnfkit-ems', 'utf8');
    expect(wrapper).toContain('exec /usr/lib/vnfkit-ems/node/bin/node /usr/lib/vnfkit-ems/dist/cli.js "$@"');
    const unit = await readFile('/lib/systemd/system/vnfkit-ems.service', 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/vnfkit-ems$/m);
    expect(unit).not.toMatch(/\/usr\/local\/bin/);
    // The conffile: every key commented out (nothing host-specific), root-only.
    const conf = await readFile('/etc/vnfkit/ems.conf', 'utf8');
    expect(conf.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))).toEqual(['[ems]']);
    expect((await stat('/etc/vnfkit/ems.conf')).mode & 0o777).toBe(0o600);
    expect((await stat('/var/lib/vnfkit-ems')).mode & 0o777).toBe(0o700);
    expect(await readlink(WANTS)).toBe('/lib/systemd/system/vnfkit-ems.service');
    // The default search path takes the shipped file: only the hostname is missing.
    const env = await isolatedEnv();
    const unconfigured = await runProgram('/usr/bin/vnfkit-ems', ['--check-config'], env);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/hostname/);
    const configured = await runProgram('/usr/bin/vnfkit-ems', ['--check-config'], { ...env, VNFKIT_EMS_HOSTNAME: 'vnfc-1234' });
    expect(configured.code).toBe(0);
    expect((JSON.parse(configured.stdout) as { files: string[] }).files).toContain('/etc/vnfkit/ems.conf');

    await exerciseAgent('/usr/bin/vnfkit-ems', '/usr/lib/vnfkit-ems/node/bin/node');

    // remove: the program goes, the (changed) conffile and the execution records stay.
    await appendFile('/etc/vnfkit/ems.conf', 'hostname = changed-by-the-test-1\n');
    await exec('dpkg', ['-r', 'vnfkit-ems'], { timeout: 60_000 });
    for (const path of ['/usr/bin/vnfkit-ems', '/usr/lib/vnfkit-ems', '/lib/systemd/system/vnfkit-ems.service', '/usr/share/vnfkit-ems'])
      expect(await exists(path)).toBe(false);
    expect(await readFile('/etc/vnfkit/ems.conf', 'utf8')).toContain('hostname = changed-by-the-test-1');
    expect(await exists('/var/lib/vnfkit-ems')).toBe(true);
    expect((await exec('dpkg-query', ['-W', '-f=${Status}', 'vnfkit-ems'])).stdout).toBe('deinstall ok config-files');

    // purge: the conffile, the state directory and the enablement go.
    await exec('dpkg', ['--purge', 'vnfkit-ems'], { timeout: 60_000 });
    for (const path of ['/etc/vnfkit/ems.conf', '/var/lib/vnfkit-ems', WANTS]) expect(await exists(path)).toBe(false);
    const after = await exec('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'vnfkit-ems']).then(
      (r) => r.stdout.trim(),
      () => '',
    );
    expect(after === '' || after.startsWith('un')).toBe(true);
  }, 90_000);
});
