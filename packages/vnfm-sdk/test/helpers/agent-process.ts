// A real vnfkit-ems agent process (from the agent package's source) for the EmsClient tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** The @vnfkit/ems-agent package directory. */
export const agentDir = dirname(require.resolve('@vnfkit/ems-agent/package.json'));

/** Starts an agent with `env` (its VNFKIT_EMS_* settings); `cleanups` gets the step that kills it. */
export function spawnAgent(env: Record<string, string>, cleanups: (() => Promise<void>)[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src/cli.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.push(() => killAgent(child));
  return child;
}

/** SIGKILLs an agent (a crash, or a VM gone) and waits for it to exit. */
export async function killAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * An agent of `endpoint` named `<endpoint>-<name>-1`, with its script and state directories under `dir`, on
 * `amqpUrl`; `env` adds or overrides VNFKIT_EMS_* settings.
 */
export function spawnEndpointAgent(input: {
  amqpUrl: string;
  endpoint: string;
  dir: string;
  name: string;
  env?: Record<string, string>;
  cleanups: (() => Promise<void>)[];
}): { hostname: string; scripts: string; state: string; child: ChildProcess } {
  const { amqpUrl, endpoint, dir, name } = input;
  const hostname = `${endpoint}-${name}-1`;
  const child = spawnAgent(
    {
      VNFKIT_EMS_AMQP_URL: amqpUrl,
      VNFKIT_EMS_HOSTNAME: hostname,
      VNFKIT_EMS_TYPE: endpoint,
      VNFKIT_EMS_LOG_LEVEL: 'error',
      VNFKIT_EMS_SCRIPTS_DIR: join(dir, name, 'scripts'),
      VNFKIT_EMS_STATE_DIR: join(dir, name, 'state'),
      ...input.env,
    },
    input.cleanups,
  );
  return { hostname, scripts: join(dir, name, 'scripts'), state: join(dir, name, 'state'), child };
}
