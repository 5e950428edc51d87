import { parseArgs } from 'node:util';
import { BOOTSTRAP_PASSWORD, BOOTSTRAP_USERNAME, ConfigError } from '@vnfkit/protocol';
import { firstUrl } from '@vnfkit/transport';
import { z } from 'zod';

const positiveNumber = z.coerce.number().positive();
const booleanLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** The EMS-related settings of the Generic VNFM. */
export const EmsConfig = z.strictObject({
  /** Seconds to wait for each VM's agent to say hello (`VNFKIT_AGENT_START_TIMEOUT_S`). @default 500 */
  startTimeoutS: positiveNumber.default(500),
  /** Seconds to wait for one agent command, i.e. the longest a script may run (`VNFKIT_AGENT_COMMAND_TIMEOUT_S`). @default 1000 */
  commandTimeoutS: positiveNumber.default(1000),
  /**
   * Seconds a VM's agent may be absent — the broker shows no actions queue `vnfm.<hostname>.actions`, or nobody
   * consuming it — while a command waits for it, before the command fails with "agent gone" (→ ERROR) instead of
   * waiting out `commandTimeoutS` (`VNFKIT_AGENT_GONE_TIMEOUT_S`). A powered-off or frozen VM loses its consumer only
   * once the broker misses its heartbeats (about 2–3 × `heartbeatS`), so that comes on top. `0` turns it off. @default 20
   */
  agentGoneTimeoutS: z.coerce.number().min(0).default(20),
  /** Broker user the agents get in their user-data (`VNFKIT_AGENT_USERNAME`). @default the AMQP URL's user */
  username: z.string().min(1).optional(),
  /** Broker password the agents get (`VNFKIT_AGENT_PASSWORD`). Never logged. @default the AMQP URL's password */
  password: z.string().optional(),
  /** AMQP heartbeat of the agents, in seconds. @default 120 */
  heartbeatS: positiveNumber.default(120),
  /** Whether the agents' action queues are auto-delete. @default true */
  autodelete: booleanLike.default(true),
  /** `script-path` sent with every script command (`VNFKIT_SCRIPT_PATH`). @default /opt/openbaton/scripts */
  scriptPath: z.string().min(1).default('/opt/openbaton/scripts'),
  /** Custom user-data template file (`VNFKIT_USER_DATA_FILE`); default: the agent's template chosen by `userData`. */
  userDataFile: z.string().min(1).optional(),
  /**
   * Which of the agent's user-data templates the VMs get (`VNFKIT_USER_DATA`), when `userDataFile` is not set:
   * `install` installs the agent from npm at first boot; `preinstalled` is for images that already have it
   * (the `.deb`, the tarball), writes its config and starts it, downloading nothing. @default install
   */
  userData: z.enum(['install', 'preinstalled']).default('install'),
  /**
   * Master key for signed agent commands (`VNFKIT_SIGNING_KEY`); it never leaves the VNFM. Each VNFR's VMs get
   * `deriveVnfrKey(master, vnfr id)` through their user-data (agent `signing_key`), and every command to a VM is signed
   * (v3, `x-vnfkit-signature`) over time, correlation id, target queue, reply_to and body with that VM's own key:
   * `deriveVmKey` of the VM's identity (an X25519 key it makes at first start and presents in its hello, pinned at
   * first use in `identityPinsFile`) and the VNFM's (`vnfmIdentity(master)`, given to the VMs as `VNFM_PUBLIC_KEY`).
   * Agents refuse anything else and replays; replies must be signed by the VM; an agent that does not verify or
   * presents no identity is refused. Never logged. See docs/ems.md, "Trust".
   */
  signingKey: z.string().min(16, 'use at least 16 characters').optional(),
  /**
   * Comma-separated environment variable names descriptors may give scripts although vnfkit refuses them
   * (`VNFKIT_ALLOW_ENV`; `PATH`, `LD_PRELOAD`, …: docs/ems.md, "Environment of a script"). Exact names; the
   * agents must allow them too (`allow_env`). @default "" (none)
   */
  allowEnv: z.string().default(''),
});

/** The Generic VNFM's configuration, merged from file, environment and flags. */
export const GenericVnfmConfig = z.strictObject({
  /** Broker URL (`AMQP_URL`). @default amqp://guest:guest@127.0.0.1:5672 */
  amqpUrl: z.string().min(1).default('amqp://guest:guest@127.0.0.1:5672'),
  /** VNFM type registered at the NFVO (`VNFM_TYPE`). @default generic */
  type: z.string().min(1).default('generic'),
  /** VNFM endpoint = command queue and agent register type (`VNFM_ENDPOINT`). @default generic */
  endpoint: z.string().min(1).default('generic'),
  /** Where script failures are kept for RESUME (`VNFKIT_RESUME_DIR`). @default ./.vnfkit/generic-vnfm/resume */
  resumeDir: z.string().min(1).default('./.vnfkit/generic-vnfm/resume'),
  /** Where per-VNFC script logs are kept for LOG_REQUEST (`VNFKIT_LOG_DIR`). @default ./.vnfkit/generic-vnfm/logs */
  logDir: z.string().min(1).default('./.vnfkit/generic-vnfm/logs'),
  /**
   * Operation journal (`VNFKIT_JOURNAL_FILE`): lets a VNFM killed mid-operation answer the interrupted NFVO
   * command after its restart instead of leaving the NFVO waiting. @default ./.vnfkit/generic-vnfm/operations.jsonl
   */
  journalFile: z.string().min(1).default('./.vnfkit/generic-vnfm/operations.jsonl'),
  /**
   * With `ems.signingKey`: the identity each VM presented at its first hello, pinned (`VNFKIT_IDENTITY_PINS_FILE`;
   * replicas keep them on the stream `vnfkit.pins.<endpoint>` instead). @default ./.vnfkit/generic-vnfm/identity-pins.jsonl
   */
  identityPinsFile: z.string().min(1).default('./.vnfkit/generic-vnfm/identity-pins.jsonl'),
  /**
   * Declare the command queue auto-delete like Open Baton's VNFMs (`VNFKIT_ENDPOINT_AUTO_DELETE`). The default
   * keeps the queue and the commands in it while no VNFM process runs. @default false
   */
  endpointQueueAutoDelete: booleanLike.default(false),
  /** Size bound of one script log file, bytes (`VNFKIT_SCRIPT_LOG_MAX_BYTES`). @default 1048576 */
  scriptLogMaxBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** How the VNFCs of one script step run (`VNFKIT_VNFC_CONCURRENCY`). @default parallel (`serial` with `upstreamModel`) */
  vnfcConcurrency: z.enum(['parallel', 'serial']).default('parallel'),
  /**
   * Agent commands in flight at once across the whole VNFM, every VNFR and NFVO command together; the others wait
   * their turn in order (`VNFKIT_EMS_CONCURRENCY`, `--ems-concurrency`). Models the thread pools of Open Baton's
   * Generic VNFM (see `src/lifecycle/ems-limit.ts`). @default unlimited (5 with `upstreamModel`)
   */
  emsConcurrency: z.coerce.number().int().positive().optional(),
  /**
   * Bundled agent commands to vnfkit agents (`VNFKIT_BUNDLES`, `true`/`1`/`false`/`0`): a package in one `SAVE_SCRIPTS`
   * per VM, a dependency within its first untyped CONFIGURE `EXECUTE`. Agents whose hello does not offer them
   * (Open Baton's EMS) always get one command per file and per dependency. @default true (false with `upstreamModel`)
   */
  bundles: z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]).default(true),
  /**
   * Preset: run like Open Baton's Generic VNFM — `vnfcConcurrency: serial`, `emsConcurrency: 5` and `bundles: false`, each unless set
   * explicitly (`VNFKIT_UPSTREAM_MODEL`, `true`/`1`). For comparisons; it makes big deployments slower. Applied by
   * {@link loadConfig} (the bin); code that parses this schema itself runs {@link applyUpstreamModel} first. @default false
   */
  upstreamModel: z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]).default(false),
  /** pino level of the VNFM's own log (`VNFKIT_LOG_LEVEL`). @default info */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** NFVO commands handled at once (`VNFKIT_CONCURRENCY`). @default 10 */
  concurrency: z.coerce.number().int().positive().default(10),
  /** Broker user the VNFM registers at the NFVO with (`VNFKIT_MANAGER_USERNAME`). @default openbaton-manager-user */
  managerUsername: z.string().min(1).default(BOOTSTRAP_USERNAME),
  /** Password of that user (`VNFKIT_MANAGER_PASSWORD`). Never logged. @default openbaton */
  managerPassword: z.string().default(BOOTSTRAP_PASSWORD),
  /**
   * Lifecycle plug-ins to load at start (`VNFKIT_PLUGINS`, comma-separated): module files (relative to the working
   * directory), directories of them, or package names. One that fails to load stops the VNFM. See
   * docs/generic-vnfm.md, "Lifecycle plug-ins". @default [] (none)
   */
  plugins: z
    .union([z.array(z.string().min(1)), z.string()])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((spec) => spec.trim()).filter((spec) => spec !== ''))
    .default([]),
  ems: EmsConfig.default(EmsConfig.parse({})),
});
/** The resolved (defaults applied) configuration. */
export type GenericVnfmConfig = z.output<typeof GenericVnfmConfig>;
/** The configuration as written by a user (every field optional). */
export type GenericVnfmConfigInput = z.input<typeof GenericVnfmConfig>;

/** Environment variable → config path. */
export const ENVIRONMENT: ReadonlyArray<[string, string[]]> = [
  ['AMQP_URL', ['amqpUrl']],
  ['VNFM_TYPE', ['type']],
  ['VNFM_ENDPOINT', ['endpoint']],
  ['VNFKIT_RESUME_DIR', ['resumeDir']],
  ['VNFKIT_LOG_DIR', ['logDir']],
  ['VNFKIT_JOURNAL_FILE', ['journalFile']],
  ['VNFKIT_IDENTITY_PINS_FILE', ['identityPinsFile']],
  ['VNFKIT_ENDPOINT_AUTO_DELETE', ['endpointQueueAutoDelete']],
  ['VNFKIT_SCRIPT_LOG_MAX_BYTES', ['scriptLogMaxBytes']],
  ['VNFKIT_VNFC_CONCURRENCY', ['vnfcConcurrency']],
  ['VNFKIT_EMS_CONCURRENCY', ['emsConcurrency']],
  ['VNFKIT_UPSTREAM_MODEL', ['upstreamModel']],
  ['VNFKIT_BUNDLES', ['bundles']],
  ['VNFKIT_LOG_LEVEL', ['logLevel']],
  ['VNFKIT_CONCURRENCY', ['concurrency']],
  ['VNFKIT_MANAGER_USERNAME', ['managerUsername']],
  ['VNFKIT_MANAGER_PASSWORD', ['managerPassword']],
  ['VNFKIT_PLUGINS', ['plugins']],
  ['VNFKIT_AGENT_START_TIMEOUT_S', ['ems', 'startTimeoutS']],
  ['VNFKIT_AGENT_COMMAND_TIMEOUT_S', ['ems', 'commandTimeoutS']],
  ['VNFKIT_AGENT_GONE_TIMEOUT_S', ['ems', 'agentGoneTimeoutS']],
  ['VNFKIT_AGENT_USERNAME', ['ems', 'username']],
  ['VNFKIT_AGENT_PASSWORD', ['ems', 'password']],
  ['VNFKIT_SCRIPT_PATH', ['ems', 'scriptPath']],
  ['VNFKIT_USER_DATA_FILE', ['ems', 'userDataFile']],
  ['VNFKIT_USER_DATA', ['ems', 'userData']],
  ['VNFKIT_SIGNING_KEY', ['ems', 'signingKey']],
  ['VNFKIT_ALLOW_ENV', ['ems', 'allowEnv']],
];

/** CLI flag → config path (`--config`, `--help`, `--version` are handled apart). */
const FLAGS: ReadonlyArray<[string, string[]]> = [
  ['amqp-url', ['amqpUrl']],
  ['type', ['type']],
  ['endpoint', ['endpoint']],
  ['resume-dir', ['resumeDir']],
  ['log-dir', ['logDir']],
  ['journal-file', ['journalFile']],
  ['vnfc-concurrency', ['vnfcConcurrency']],
  ['ems-concurrency', ['emsConcurrency']],
  ['log-level', ['logLevel']],
];

/** The `--help` text. */
export const HELP = `Usage: generic-vnfm [options]

Runs the vnfkit Generic VNFM: registers at the NFVO and runs each VNF's lifecycle
scripts through the EMS agents in its VMs.

Options:
  -c, --config <file>          JSON or INI config file
      --amqp-url <url>         broker URL                    (env AMQP_URL)
      --type <type>            VNFM type                     (env VNFM_TYPE, default generic)
      --endpoint <endpoint>    VNFM endpoint                 (env VNFM_ENDPOINT, default generic)
      --resume-dir <dir>       resume records                (env VNFKIT_RESUME_DIR)
      --log-dir <dir>          per-VNFC script logs          (env VNFKIT_LOG_DIR)
      --journal-file <file>    operation journal (crash-safe) (env VNFKIT_JOURNAL_FILE)
      --vnfc-concurrency <m>   parallel | serial             (env VNFKIT_VNFC_CONCURRENCY)
      --ems-concurrency <n>    agent commands at once, VNFM-wide (env VNFKIT_EMS_CONCURRENCY, default unlimited)
      --log-level <level>      fatal..trace | silent         (env VNFKIT_LOG_LEVEL)
  -h, --help                   show this help
  -v, --version                show the version

More environment: VNFKIT_AGENT_START_TIMEOUT_S (500), VNFKIT_AGENT_COMMAND_TIMEOUT_S (1000), VNFKIT_AGENT_GONE_TIMEOUT_S (20),
VNFKIT_AGENT_USERNAME, VNFKIT_AGENT_PASSWORD, VNFKIT_SCRIPT_PATH, VNFKIT_USER_DATA_FILE, VNFKIT_USER_DATA (install), VNFKIT_SIGNING_KEY, VNFKIT_ALLOW_ENV,
VNFKIT_IDENTITY_PINS_FILE,
VNFKIT_SCRIPT_LOG_MAX_BYTES, VNFKIT_CONCURRENCY, VNFKIT_MANAGER_USERNAME (openbaton-manager-user),
VNFKIT_MANAGER_PASSWORD (openbaton), VNFKIT_ENDPOINT_AUTO_DELETE (false), VNFKIT_PLUGINS (lifecycle plug-ins,
comma-separated), VNFKIT_BUNDLES (true: one SAVE_SCRIPTS per VM and the dependency within an EXECUTE for vnfkit
agents), VNFKIT_UPSTREAM_MODEL (1: serial VNFCs, 5 agent commands at once and no bundles, like Open Baton's
Generic VNFM). Precedence: flags > environment > file > defaults.
`;

type Plain = Record<string, unknown>;

function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1] as string] = value;
}

function deepMerge(base: Plain, over: Plain): Plain {
  const result: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    if (isPlain(value) && isPlain(current)) result[key] = deepMerge(current, value);
    else result[key] = value;
  }
  return result;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const camel = (key: string): string => key.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Parses an INI config: `key = value` lines, `#`/`;` comments, top-level keys (or section
 * `[vnfm]`) for the VNFM, section `[ems]` for the EMS settings; snake_case keys are accepted.
 */
export function parseIni(text: string, source = 'config'): Plain {
  const result: Plain = {};
  let section: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? '').trim().toLowerCase();
      if (name === 'vnfm' || name === 'generic-vnfm') section = [];
      else if (name === 'ems') section = ['ems'];
      else throw new ConfigError(`${source}:${index + 1}: unknown section [${name}] (known: [vnfm], [ems])`);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source}:${index + 1}: expected "key = value"`);
    const key = camel(line.slice(0, eq).trim());
    let value = line.slice(eq + 1).trim();
    if (/^(".*"|'.*')$/.test(value)) value = value.slice(1, -1);
    setPath(result, [...section, key], value);
  });
  return result;
}

/** Parses a config file's text: JSON when it starts with `{`, INI otherwise. */
export function parseConfigText(text: string, source = 'config'): Plain {
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${source}: invalid JSON`, { cause: error });
    }
    if (!isPlain(parsed)) throw new ConfigError(`${source}: the JSON must be an object`);
    return parsed;
  }
  return parseIni(text, source);
}

/** Input of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** CLI arguments without `node` and the script. @default [] */
  argv?: readonly string[];
  /** The environment. @default {} (pass `process.env` at the edge) */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads the `--config` file. @default none (a `--config` flag then fails) */
  readFile?: (path: string) => string;
}

/** What the command line asked for. */
export type LoadedConfig = { kind: 'run'; config: Readonly<GenericVnfmConfig> } | { kind: 'help'; text: string } | { kind: 'version' };

/**
 * Builds the configuration once, at the edge: defaults < file (`--config`) < environment < flags,
 * merged into one object and parsed with a strict schema (typos fail). Throws `ConfigError`.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args: [...(options.argv ?? [])],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        ...Object.fromEntries(FLAGS.map(([flag]) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (see --help)`, { cause: error });
  }
  const values = parsedArgs.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { kind: 'help', text: HELP };
  if (values.version === true) return { kind: 'version' };

  let merged: Plain = {};
  const file = values.config;
  if (typeof file === 'string') {
    if (!options.readFile) throw new ConfigError(`cannot read config file ${file}`);
    let text: string;
    try {
      text = options.readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}`, { cause: error });
    }
    merged = parseConfigText(text, file);
  }
  const fromEnv: Plain = {};
  for (const [name, path] of ENVIRONMENT) {
    const value = options.env?.[name];
    if (value !== undefined && value !== '') setPath(fromEnv, path, value);
  }
  const fromFlags: Plain = {};
  for (const [flag, path] of FLAGS) {
    const value = values[flag];
    if (typeof value === 'string') setPath(fromFlags, path, value);
  }
  merged = deepMerge(deepMerge(merged, fromEnv), fromFlags);
  merged = applyUpstreamModel(merged);

  const result = GenericVnfmConfig.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(`invalid generic-vnfm configuration:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return { kind: 'run', config: deepFreeze(result.data) };
}

/** Open Baton's Generic VNFM, as `upstreamModel` sets it up (each setting unless given explicitly). */
export const UPSTREAM_MODEL = { vnfcConcurrency: 'serial', emsConcurrency: 5, bundles: false } as const;

/** The `upstreamModel` preset: fills in {@link UPSTREAM_MODEL} where the merged input leaves a setting out. */
export function applyUpstreamModel<T extends Plain>(input: T): T {
  const on = input['upstreamModel'];
  if (on !== true && on !== 'true' && on !== '1') return input;
  return {
    ...input,
    vnfcConcurrency: input['vnfcConcurrency'] ?? UPSTREAM_MODEL.vnfcConcurrency,
    emsConcurrency: input['emsConcurrency'] ?? UPSTREAM_MODEL.emsConcurrency,
    bundles: input['bundles'] ?? UPSTREAM_MODEL.bundles,
  };
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (isPlain(value)) for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

/** The broker credentials the agents get: the EMS config's, else the AMQP URL's, else Open Baton's defaults. */
export function emsCredentials(config: GenericVnfmConfig): { username: string; password: string } {
  let url: URL | undefined;
  try {
    // The first node's, for a cluster's comma-separated list (one account on every node).
    url = new URL(firstUrl(config.amqpUrl));
  } catch {
    url = undefined;
  }
  return {
    username: config.ems.username ?? (url?.username ? decodeURIComponent(url.username) : 'admin'),
    password: config.ems.password ?? (url?.password ? decodeURIComponent(url.password) : 'openbaton'),
  };
}
