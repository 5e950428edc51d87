// End-to-end harness: NfvoSimulator + LocalVim (real vnfkit-ems processes) + GenericVnfm over REAL RabbitMQ,
// on a private vhost per test file (the Open Baton queue names are fixed).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAmqpTransport } from '@vnfkit/vnfm-sdk';
import { LocalVim, NfvoSimulator, type VimDriver } from '@vnfkit/vnfm-sdk/testing';
import { GenericVnfmConfig } from '../../src/config.js';
import { GenericVnfm } from '../../src/generic-vnfm.js';
import { loadUserDataTemplate } from '../../src/user-data.js';

const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A RabbitMQ vhost of its own, removed by the returned cleanup. */
export function privateVhost(): { url: string; remove: () => void } {
  const vhost = `vnfkit-test-gvnfm-${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const url = new URL(AMQP_URL);
  url.pathname = `/${vhost}`;
  return { url: url.toString(), remove: () => execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]) };
}

/**
 * A script that records what it saw: `$SCRIPTS_PATH/runs.log` gets one line per run and
 * `$SCRIPTS_PATH/env/<script>.<n>` the environment (minus the agent's own variables).
 */
export const RECORDING_SCRIPT = `#!/bin/bash
name=$(basename "$0")
mkdir -p "$SCRIPTS_PATH/env"
n=$(ls "$SCRIPTS_PATH/env" | grep -c "^$name\\." || true)
env | grep -vE '^(PATH|PWD|SHLVL|_|HOME|LANG|OLDPWD|NODE_.*|npm_.*|PNPM_.*|INIT_CWD|COLOR|TERM|VITEST.*|TEST|CI)=' | sort > "$SCRIPTS_PATH/env/$name.$n"
echo "$name" >> "$SCRIPTS_PATH/runs.log"
echo "ran $name on $hostname"
`;

/** Package scripts: every name gets the recording script unless overridden. */
export function scripts(names: string[], overrides: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, overrides[n] ?? RECORDING_SCRIPT]));
}

export interface Harness {
  sim: NfvoSimulator;
  vim: LocalVim;
  vnfm: GenericVnfm;
  type: string;
  url: string;
  work: string;
  /** Starts another Generic VNFM instance on the same resume directory (restart test). */
  restartVnfm: () => Promise<GenericVnfm>;
  close: () => Promise<void>;
}

export async function startHarness(options: { vim?: VimDriver; startTimeoutS?: number; commandTimeoutS?: number; url?: string; signingKey?: string; agentSigningKey?: string } = {}): Promise<Harness> {
  const url = options.url ?? AMQP_URL;
  const type = `gvnfm${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-gvnfm-e2e-'));
  const closers: (() => Promise<void>)[] = [() => rm(work, { recursive: true, force: true })];
  const vim = new LocalVim(options.agentSigningKey ? { agentConfig: { signing_key: options.agentSigningKey } } : {});
  closers.push(() => vim.close());
  const transport = await createAmqpTransport({ url });
  closers.push(() => transport.close());
  const sim = await NfvoSimulator.create({ transport, vim: options.vim ?? vim, brokerUrl: url, commandTimeoutMs: 30_000 });
  closers.push(() => sim.close());
  const config = GenericVnfmConfig.parse({
    amqpUrl: url, type, endpoint: type, resumeDir: join(work, 'resume'), logDir: join(work, 'logs'), logLevel: 'silent',
    ems: { startTimeoutS: options.startTimeoutS ?? 20, commandTimeoutS: options.commandTimeoutS ?? 20, ...(options.signingKey ? { signingKey: options.signingKey } : {}) },
  });
  const make = async (): Promise<GenericVnfm> => {
    const vnfm = new GenericVnfm({ config, userDataTemplate: await loadUserDataTemplate(), bootstrapCredentials: { username: 'guest', password: 'guest' } });
    await vnfm.connect();
    closers.push(() => vnfm.close());
    return vnfm;
  };
  const vnfm = await make();
  return {
    sim, vim, vnfm, type, url, work, restartVnfm: make,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** Lines of a VM's runs.log. */
export async function runs(vim: LocalVim, hostname: string): Promise<string[]> {
  return (await readFile(join(vim.scriptsDir(hostname), 'runs.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
}

/** The environments recorded for one script on one VM, in run order, as objects. */
export async function envs(vim: LocalVim, hostname: string, script: string): Promise<Record<string, string>[]> {
  const dir = join(vim.scriptsDir(hostname), 'env');
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.startsWith(`${script}.`)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  return Promise.all(files.map(async (f) => Object.fromEntries((await readFile(join(dir, f), 'utf8')).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))));
}

/** True when the broker (vhost of `url`) has a queue of that name — e.g. a restarted agent's actions queue. */
export function queueExists(url: string, name: string): boolean {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  return execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name'], { encoding: 'utf8' }).split('\n').includes(name);
}
