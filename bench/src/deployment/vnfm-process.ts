// The VNFM child of a deployment run: the real `generic-vnfm` bin from dist (built when stale), started and stopped.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/src */
const benchSrc = join(dirname(fileURLToPath(import.meta.url)), '..');
const vnfmDir = join(benchSrc, '..', '..', 'examples', 'generic-vnfm');
const vnfmCli = join(vnfmDir, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The VNFM runs from its build (no tsx in its RSS); (re)builds it when missing or older than its sources. */
export function ensureVnfmBuilt(): void {
  for (const pkg of ['protocol', 'vnfm-sdk', 'ems-agent']) {
    const dir = join(benchSrc, '..', '..', 'packages', pkg);
    const dist = join(dir, 'dist');
    if (!existsSync(dist) || newestMtime(dist) < newestMtime(join(dir, 'src')))
      console.error(`note: deployment-scale: packages/${pkg}/dist is missing or older than its sources; run \`pnpm build\``);
  }
  if (existsSync(vnfmCli) && statSync(vnfmCli).mtimeMs >= newestMtime(join(vnfmDir, 'src'))) return;
  console.error('note: deployment-scale: building examples/generic-vnfm (its dist is missing or stale)');
  execFileSync('pnpm', ['--filter', '@vnfkit/generic-vnfm', 'run', 'build'], { stdio: 'ignore', cwd: vnfmDir });
}

export function startVnfm(input: {
  url: string;
  type: string;
  dir: string;
  concurrency: number | undefined;
  env?: Record<string, string> | undefined;
}): ChildProcess {
  const url = new URL(input.url);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    AMQP_URL: input.url,
    VNFM_TYPE: input.type,
    VNFM_ENDPOINT: input.type,
    VNFKIT_RESUME_DIR: join(input.dir, 'resume'),
    VNFKIT_LOG_DIR: join(input.dir, 'logs'),
    VNFKIT_JOURNAL_FILE: join(input.dir, 'operations.jsonl'),
    VNFKIT_MANAGER_USERNAME: decodeURIComponent(url.username) || 'guest',
    VNFKIT_MANAGER_PASSWORD: decodeURIComponent(url.password) || 'guest',
    VNFKIT_AGENT_START_TIMEOUT_S: '120',
    VNFKIT_AGENT_COMMAND_TIMEOUT_S: '120',
  };
  if (input.concurrency !== undefined) env['VNFKIT_CONCURRENCY'] = String(input.concurrency);
  Object.assign(env, input.env);
  // VNFKIT_BENCH_VNFM_ENV='{"VNFKIT_LOG_LEVEL":"warn"}': more environment for the VNFM, to A/B its settings.
  const extra = process.env['VNFKIT_BENCH_VNFM_ENV'];
  if (extra) Object.assign(env, JSON.parse(extra) as Record<string, string>);
  // Default log level (info), as in production; the log goes nowhere.
  // VNFKIT_BENCH_VNFM_CPU_PROF=<dir>: a V8 CPU profile of the VNFM, written when it exits.
  const profile = process.env['VNFKIT_BENCH_VNFM_CPU_PROF'];
  // VNFKIT_BENCH_VNFM_NODE_ARGS='--log-deopt --logfile=…': Node and V8 flags for the VNFM (NODE_OPTIONS refuses V8's).
  const nodeArgs = (process.env['VNFKIT_BENCH_VNFM_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  return spawn(process.execPath, [...nodeArgs, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), vnfmCli], {
    env,
    cwd: input.dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}
