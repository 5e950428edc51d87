import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentProcess } from './agent-process.js';
import { spawnAgent, writeConfig } from './agent-process.js';
import { AMQP_URL, FakeVnfm } from './broker.js';
import { tempDir, uniqueHostname, uniqueName } from './temp.js';
import { waitFor } from './wait-for.js';

/** A real `vnfkit-ems` process and a fake Java Generic VNFM on the real broker. */
export interface AgentPair {
  agent: AgentProcess;
  vnfm: FakeVnfm;
  hostname: string;
  scriptsDir: string;
  stateDir: string;
  configFile: string;
}

/**
 * Starts a fake VNFM and a real agent process bound to it (config file with `extra` on top, `options.env`
 * added to its environment, `options.onSpawn` called with its pid right after the spawn); waits for the hello.
 */
export async function startAgentPair(
  title: string,
  extra: Record<string, string | number | boolean> = {},
  options: { env?: Record<string, string | undefined>; onSpawn?: (pid: number) => void } = {},
): Promise<AgentPair> {
  const type = uniqueName('t', title);
  const vnfm = await FakeVnfm.start(type);
  const dir = await tempDir('vnfkit-hostile-');
  const hostname = uniqueHostname(title);
  const scriptsDir = join(dir, 'scripts');
  const stateDir = join(dir, 'state');
  const configFile = await writeConfig(dir, {
    amqp_url: AMQP_URL,
    hostname,
    type,
    scripts_dir: scriptsDir,
    state_dir: stateDir,
    reconnect_max_delay: 1,
    heartbeat: 10,
    command_timeout: 30,
    kill_grace: 1,
    log_level: 'info',
    ...extra,
  });
  const agent = spawnAgent(['--config', configFile], options.env);
  if (options.onSpawn && agent.child.pid !== undefined) options.onSpawn(agent.child.pid);
  await waitFor(() => vnfm.hellosFrom(hostname) >= 1, { timeoutMs: 20_000, what: `the hello of ${hostname}` });
  return { agent, vnfm, hostname, scriptsDir, stateDir, configFile };
}

/** Base64 of a UTF-8 text (SAVE_SCRIPTS payloads). */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Saves `text` as script `name` through a real SAVE_SCRIPTS command and checks the reply. */
export async function saveScript(pair: AgentPair, name: string, text: string): Promise<void> {
  const reply = await pair.vnfm.send(pair.hostname, {
    action: 'SAVE_SCRIPTS',
    name,
    payload: b64(text),
    'script-path': '/opt/openbaton/scripts',
  });
  if (reply.json.status !== 0) throw new Error(`SAVE_SCRIPTS ${name} failed: ${reply.body}`);
}

/** Resident set size of a process in MiB (from /proc/<pid>/status). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no VmRSS for pid ${pid}`);
  return kib / 1024;
}

/** Peak resident set size (VmHWM) of a process in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no VmHWM for pid ${pid}`);
  return kib / 1024;
}
