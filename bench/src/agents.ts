// Start real `vnfkit-ems` processes for the benchmarks (built dist when present, else through tsx).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AMQP_URL } from './table.js';

const require = createRequire(import.meta.url);
const agentDir = dirname(require.resolve('@vnfkit/ems-agent/package.json'));
export const agentBuilt = join(agentDir, 'dist', 'cli.js');

/** `node`: another Node binary for the agent (it then runs the built dist, which must exist). */
function agentCommand(node?: string): string[] {
  // VNFKIT_BENCH_AGENT=/path/to/dist/cli.js runs another build of the agent (A/B of agent and client).
  const override = process.env.VNFKIT_BENCH_AGENT;
  if (override) return [node ?? process.execPath, override];
  if (existsSync(agentBuilt) || node !== undefined) return [node ?? process.execPath, agentBuilt];
  return [process.execPath, '--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src', 'cli.ts')];
}

/** The Node major the agent's `.deb` and tarball carry (`packages/ems-agent/packaging/runtime.json`). */
export function packagedNodeMajor(): string {
  return (JSON.parse(readFileSync(join(agentDir, 'packaging', 'runtime.json'), 'utf8')) as { node: string }).node;
}

export function startAgent(
  root: string,
  input: { hostname: string; type: string; autodelete?: boolean; node?: string | undefined },
): ChildProcess {
  const dir = join(root, input.hostname);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'ems.conf');
  writeFileSync(
    conf,
    `[ems]\namqp_url = ${AMQP_URL}\nhostname = ${input.hostname}\ntype = ${input.type}\nscripts_dir = ${join(dir, 'scripts')}\nstate_dir = ${join(dir, 'state')}\nlog_level = warn\n${input.autodelete === false ? 'autodelete = false\n' : ''}`,
  );
  const [cmd, ...args] = agentCommand(input.node);
  return spawn(cmd ?? process.execPath, [...args, '--config', conf], { stdio: 'ignore' });
}

export async function stopAgent(agent: ChildProcess): Promise<void> {
  if (agent.exitCode !== null) return;
  await new Promise((r) => {
    agent.once('exit', r);
    agent.kill('SIGTERM');
  });
}
