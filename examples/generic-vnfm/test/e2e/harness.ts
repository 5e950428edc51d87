// End-to-end harness: NfvoSimulator + LocalVim (real vnfkit-ems processes) + GenericVnfm over REAL RabbitMQ,
// on a private vhost per test file (the Open Baton queue names are fixed).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAmqpTransport, type AmqpTransportOptions, type TransportFactory } from '@vnfkit/vnfm-sdk';
import { pino, type Logger } from 'pino';
import { LocalVim, NfvoSimulator, type MessageEvent, type Vm, type VimDriver, type VmRequest } from '@vnfkit/vnfm-sdk/testing';
import { GenericVnfmConfig } from '../../src/config.js';
import { GenericVnfm } from '../../src/generic-vnfm.js';
import type { LifecyclePlugin } from '../../src/plugins/index.js';
import { loadUserDataTemplate } from '../../src/user-data.js';

const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The `generic-vnfm` bin (from source) as its own process on `url`, endpoint and type `type`, its resume
 * directory, script logs and journal under `work`; `env` adds to (or overrides) its environment.
 * `DEBUG_VNFM=<level>` shows its log.
 */
export function spawnVnfmBin(input: { url: string; type: string; work: string; env?: Record<string, string> }): ChildProcess {
  const { url, type, work } = input;
  return spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', join(here, '..', '..', 'src', 'cli.ts')], {
    cwd: join(here, '..', '..', '..', '..'),
    stdio: ['ignore', process.env['DEBUG_VNFM'] ? 'inherit' : 'ignore', 'inherit'],
    env: {
      ...process.env,
      AMQP_URL: url,
      VNFM_TYPE: type,
      VNFM_ENDPOINT: type,
      VNFKIT_MANAGER_USERNAME: 'guest',
      VNFKIT_MANAGER_PASSWORD: 'guest',
      VNFKIT_RESUME_DIR: join(work, 'resume'),
      VNFKIT_LOG_DIR: join(work, 'logs'),
      VNFKIT_JOURNAL_FILE: join(work, 'operations.jsonl'),
      VNFKIT_LOG_LEVEL: process.env['DEBUG_VNFM'] ?? 'silent',
      VNFKIT_AGENT_START_TIMEOUT_S: '30',
      VNFKIT_AGENT_COMMAND_TIMEOUT_S: '30',
      ...input.env,
    },
  });
}

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

/** Client-provided connection name of the harness's NFVO simulator (see {@link closeConnections}). */
export function simulatorConnectionName(type: string): string {
  return `nfvo-simulator-${type}`;
}

/**
 * Settings under which a dropped broker connection loses nothing: every requester gets its replies on a
 * lasting reply queue — the Generic VNFM's EMS side does by default; the simulator and the VNFM's NFVO
 * side (direct reply-to by default, for the NFVO's per-VNFM broker user) are switched here. Reconnects
 * are capped low so the test stays short. The agents keep their defaults (auto-delete actions queue).
 */
const DROP_PROOF: { transport: Pick<AmqpTransportOptions, 'replyMode' | 'reconnect' | 'logger'>; agentConfig: Record<string, string> } = {
  transport: { replyMode: 'lasting-queue', reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 } },
  agentConfig: { reconnect_max_delay: '1' },
};

/** The VNFM's two broker connections as `GenericVnfm` would open them, with extra transport options. */
function vnfmTransports(input: { url: string; type: string; transport: AmqpTransportOptions }): TransportFactory {
  return async (credentials) => {
    const url = new URL(input.url);
    if (credentials) {
      url.username = encodeURIComponent(credentials.username);
      url.password = encodeURIComponent(credentials.password);
    }
    // With credentials: the NFVO side (vnfm.ts names it `vnfm-<type>`); without: the EMS side.
    const connectionName = credentials ? `vnfm-${input.type}` : `generic-vnfm-ems-${input.type}`;
    return createAmqpTransport({ ...input.transport, url: url.toString(), connectionName });
  };
}

export async function startHarness(
  options: {
    vim?: VimDriver;
    startTimeoutS?: number;
    commandTimeoutS?: number;
    url?: string;
    /** The VNFM's master key (`ems.signingKey`): each VNFR's VMs get their key through the user-data. */
    signingKey?: string;
    /** Every agent's `signing_key`, instead of the one its user-data carries. */
    agentSigningKey?: string;
    /** The user-data template. @default the agent's (`loadUserDataTemplate()`) */
    userDataTemplate?: string;
    /** Configure every party so that a force-closed broker connection loses nothing (see {@link DROP_PROOF}). */
    dropProof?: boolean;
    /** Command line of one agent (LocalVim's `agentCommand`). @default the installed @vnfkit/ems-agent */
    agentCommand?: string[];
    /** NFVO commands the VNFM handles at once. @default the Generic VNFM's (10) */
    concurrency?: number;
    /** The simulator's deadline for each VNFM reply, in ms. @default 30_000 */
    simulatorCommandTimeoutMs?: number;
    /** The simulator sends its commands with correlation ids (`commandCorrelationIds`). @default false, as Open Baton's NFVO */
    simulatorCorrelationIds?: boolean;
    /** Logger of the VNFM, the simulator and their transports. @default silent */
    logger?: Logger;
    /** The VNFM's `ems.agentGoneTimeoutS`. @default the Generic VNFM's (20) */
    agentGoneTimeoutS?: number;
    /** Extra agent config keys for every VM (LocalVim's `agentConfig`), e.g. `heartbeat`. */
    agentConfig?: Record<string, string>;
    /** Lifecycle plug-ins given to the VNFM as objects (`GenericVnfmOptions.plugins`). */
    plugins?: readonly LifecyclePlugin[];
    /** Lifecycle plug-in modules the VNFM loads itself (`config.plugins`). */
    pluginModules?: string[];
  } = {},
): Promise<Harness> {
  const url = options.url ?? AMQP_URL;
  const type = `gvnfm${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-gvnfm-e2e-'));
  const closers: (() => Promise<void>)[] = [() => rm(work, { recursive: true, force: true })];
  const agentConfig: Record<string, string> = {
    ...(options.dropProof ? DROP_PROOF.agentConfig : {}),
    ...(options.agentSigningKey ? { signing_key: options.agentSigningKey } : {}),
    ...options.agentConfig,
  };
  // DEBUG_AGENTS=<level>: the agents log at that level to this process's stdout/stderr.
  const agentDebug = process.env['DEBUG_AGENTS'];
  const vim = new LocalVim({
    agentConfig,
    ...(options.agentCommand ? { agentCommand: options.agentCommand } : {}),
    ...(agentDebug ? { logLevel: agentDebug, stdio: 'inherit' as const } : {}),
  });
  closers.push(() => vim.close());
  const logger = options.logger ? { logger: options.logger } : debugLogger();
  const transport = await createAmqpTransport({
    url,
    connectionName: simulatorConnectionName(type),
    ...(options.dropProof ? DROP_PROOF.transport : {}),
    ...logger,
  });
  closers.push(() => transport.close());
  const sim = await NfvoSimulator.create({
    transport,
    vim: options.vim ?? vim,
    brokerUrl: url,
    commandTimeoutMs: options.simulatorCommandTimeoutMs ?? 30_000,
    commandCorrelationIds: options.simulatorCorrelationIds === true,
    ...logger,
  });
  closers.push(() => sim.close());
  const config = GenericVnfmConfig.parse({
    amqpUrl: url,
    type,
    endpoint: type,
    resumeDir: join(work, 'resume'),
    logDir: join(work, 'logs'),
    journalFile: join(work, 'operations.jsonl'),
    identityPinsFile: join(work, 'identity-pins.jsonl'),
    logLevel: 'silent',
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.pluginModules ? { plugins: options.pluginModules } : {}),
    ems: {
      startTimeoutS: options.startTimeoutS ?? 20,
      commandTimeoutS: options.commandTimeoutS ?? 20,
      ...(options.agentGoneTimeoutS !== undefined ? { agentGoneTimeoutS: options.agentGoneTimeoutS } : {}),
      ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    },
  });
  const make = async (): Promise<GenericVnfm> => {
    const vnfm = new GenericVnfm({
      config,
      userDataTemplate: options.userDataTemplate ?? (await loadUserDataTemplate()),
      bootstrapCredentials: { username: 'guest', password: 'guest' },
      ...(options.dropProof ? { transportFactory: vnfmTransports({ url, type, transport: { ...DROP_PROOF.transport, ...logger } }) } : {}),
      ...(options.plugins ? { plugins: options.plugins } : {}),
      ...logger,
    });
    await vnfm.connect();
    closers.push(() => vnfm.close());
    return vnfm;
  };
  const vnfm = await make();
  return {
    sim,
    vim,
    vnfm,
    type,
    url,
    work,
    restartVnfm: make,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/**
 * `DEBUG_E2E_LOG=<file>`: the VNFM, the simulator and their transports log at debug level, as JSON lines
 * appended to that file (one file for a whole run: the lines carry their test's VNFM type).
 */
function debugLogger(): { logger: Logger } | Record<string, never> {
  const file = process.env['DEBUG_E2E_LOG'];
  return file ? { logger: pino({ level: 'debug' }, pino.destination({ dest: file, append: true, sync: true })) } : {};
}

const execFileAsync = promisify(execFile);

/** The `rabbitmqctl eval` program that closes the connections of {@link closeConnections}, printing their count. */
function closeConnectionsProgram(url: string, prefixes: readonly string[]): string {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  const binary = (text: string): string => `<<"${text.replace(/["\\]/g, (c) => `\\${c}`)}">>`;
  return [
    `V = ${binary(vhost)}, Ps = [${prefixes.map(binary).join(', ')}],`,
    'Match = fun(Name) -> lists:any(fun(Pre) -> binary:longest_common_prefix([Name, Pre]) =:= byte_size(Pre) end, Ps) end,',
    'Info = fun(P) -> try rabbit_networking:connection_info(P, [vhost, client_properties]) catch _:_ -> [] end end,',
    'Pids = [P || P <- rabbit_networking:connections(), [{vhost, VH}, {client_properties, CP}] <- [Info(P)], VH =:= V,',
    '  {_, longstr, N} <- [lists:keyfind(<<"connection_name">>, 1, CP)], Match(N)],',
    '[rabbit_networking:close_connection(P, "vnfkit test: forced drop") || P <- Pids], length(Pids).',
  ].join('\n');
}

function closedCount(stdout: string): number {
  const closed = Number(stdout.trim());
  if (!Number.isInteger(closed)) throw new Error(`rabbitmqctl eval did not return a count: ${stdout.trim()}`);
  return closed;
}

/**
 * Force-closes (`rabbitmqctl`, one call) the broker connections on the vhost of `url` whose
 * client-provided name starts with one of `prefixes`: the VNFM's `vnfm-<type>` and
 * `generic-vnfm-ems-<type>`, the agents' `vnfkit-ems <hostname>`, the simulator's
 * {@link simulatorConnectionName}. Connections of other vhosts (parallel test files) are never
 * touched. Asynchronous, so the VNFM and simulator in this process keep running meanwhile.
 * Resolves with the number of connections closed.
 */
export async function closeConnections(url: string, prefixes: readonly string[]): Promise<number> {
  const { stdout } = await execFileAsync('rabbitmqctl', ['-q', 'eval', closeConnectionsProgram(url, prefixes)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return closedCount(stdout);
}

/** {@link closeConnections}, synchronous: for a test that holds this process (VNFM, simulator) up on purpose. */
export function closeConnectionsSync(url: string, prefixes: readonly string[]): number {
  return closedCount(
    execFileSync('rabbitmqctl', ['-q', 'eval', closeConnectionsProgram(url, prefixes)], { encoding: 'utf8', timeout: 30_000 }),
  );
}

/** Messages (or `messages_ready`: not delivered yet) in the queues of `url`'s vhost whose name starts with `prefix`, per queue. Synchronous. */
export function queueMessages(url: string, prefix: string, column: 'messages' | 'messages_ready' = 'messages'): Map<string, number> {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  const lines = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name', column], {
    encoding: 'utf8',
    timeout: 30_000,
  }).split('\n');
  return new Map(
    lines
      .map((l) => l.split('\t'))
      .filter(([name]) => name?.startsWith(prefix))
      .map(([name = '', n]) => [name, Number(n)]),
  );
}

/** Lines of a VM's runs.log. */
export async function runs(vim: LocalVim, hostname: string): Promise<string[]> {
  return (await readFile(join(vim.scriptsDir(hostname), 'runs.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
}

/** The environments recorded for one script on one VM, in run order, as objects. */
export async function envs(vim: LocalVim, hostname: string, script: string): Promise<Record<string, string>[]> {
  const dir = join(vim.scriptsDir(hostname), 'env');
  const files = (await readdir(dir).catch(() => []))
    .filter((f) => f.startsWith(`${script}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  return Promise.all(
    files.map(async (f) =>
      Object.fromEntries(
        (await readFile(join(dir, f), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    ),
  );
}

/** True when the broker (vhost of `url`) has a queue of that name — e.g. a restarted agent's actions queue. */
export function queueExists(url: string, name: string): boolean {
  return queueMessages(url, name).has(name);
}

/** A VIM whose VMs never boot an agent (tests of what happens when none says hello). */
export class SilentVim implements VimDriver {
  readonly name = 'silent';
  async allocate(request: VmRequest): Promise<Vm> {
    return {
      hostname: `${request.vnfrName}-1`,
      vimId: 'silent',
      vcId: 'x',
      ips: [{ netName: 'private', ip: '127.0.0.9' }],
      floatingIps: [],
    };
  }
  async release(): Promise<void> {}
  async restart(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Records every message the simulator exchanges; `fromVnfm(action, vnfrName)` picks the bodies the VNFM sent about one VNFR. */
export function recordMessages(sim: NfvoSimulator): {
  events: MessageEvent[];
  fromVnfm: (action: string, vnfrName: string) => Record<string, unknown>[];
} {
  const events: MessageEvent[] = [];
  sim.on('message', (e) => events.push(e));
  const fromVnfm = (action: string, vnfrName: string): Record<string, unknown>[] =>
    events
      .filter((e) => e.direction === 'from-vnfm' && e.action === action)
      .map((e) => e.body as Record<string, unknown>)
      .filter((b) => (b['virtualNetworkFunctionRecord'] as { name?: string } | undefined)?.name === vnfrName);
  return { events, fromVnfm };
}
