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
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  });
  return child;
}
