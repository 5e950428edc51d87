import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { DEFAULT_SCRIPTS_PATH, EXCHANGE, IDENTITY_PUBLIC_KEY_PATTERN } from '@vnfkit/protocol';
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { configError } from './errors.js';
import { parseIni } from './internal/ini.js';
import { redactUrl } from './internal/redact.js';

/** vnfkit's own config file (INI, section `[ems]`); highest-precedence file. */
export const DEFAULT_CONFIG_FILE = '/etc/vnfkit/ems.conf';
/** Open Baton EMS ≥ 1.1 config file, read so existing VM images keep working. */
export const OPENBATON_CONFIG_FILE = '/etc/openbaton/openbaton-ems.properties';
/** Open Baton EMS ≤ 1.0 config file. */
export const OPENBATON_LEGACY_CONFIG_FILE = '/etc/openbaton/ems/conf.ini';
/** Files read when no `--config` is given, lowest precedence first (later files win per key). */
export const DEFAULT_CONFIG_SEARCH_PATH: readonly string[] = Object.freeze([
  OPENBATON_LEGACY_CONFIG_FILE,
  OPENBATON_CONFIG_FILE,
  DEFAULT_CONFIG_FILE,
]);
/** Prefix of the environment variables that override config keys (`VNFKIT_EMS_BROKER_IP`, …). */
export const ENV_PREFIX = 'VNFKIT_EMS_';
/** The INI section the agent reads. */
export const CONFIG_SECTION = 'ems';

// zod/mini ships no messages; use the English ones zod's classic build installs.
z.config(en());

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  '1': true,
  false: false,
  no: false,
  off: false,
  '0': false,
};

/** Accepts real booleans and the usual INI words (true/false, yes/no, on/off, 1/0). */
const bool = z.pipe(
  z.transform((value: unknown) => {
    if (typeof value !== 'string') return value;
    const word = BOOLEAN_WORDS[value.trim().toLowerCase()];
    return word ?? value;
  }),
  z.boolean({ error: 'expected a boolean (true/false, yes/no, on/off, 1/0)' }),
);

/** Accepts numbers and numeric strings (INI and environment values are strings). */
function numeric<T extends z.ZodMiniType<number>>(schema: T): z.ZodMiniPipe<z.ZodMiniTransform<unknown, unknown>, T> {
  return z.pipe(
    z.transform((value: unknown) => {
      if (typeof value !== 'string' || value.trim() === '') return value;
      const parsed = Number(value.trim());
      return Number.isNaN(parsed) ? value : parsed;
    }),
    schema,
  );
}

const nonEmpty = z.string().check(z.minLength(1));

/** The items of a comma-separated setting, trimmed, blanks dropped. */
function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
/**
 * True when the WHATWG URL parser (the one the broker connection uses) accepts `value` with a host,
 * and no "@" follows the first "/", "?" or "#" after the scheme: that is a password with an unencoded
 * "/" (`amqp://u:pa/ss@host`), which would parse as host "pa"-something and a path holding the rest.
 */
function parsableUrl(value: string): boolean {
  const rest = value.slice(value.indexOf('://') + 3);
  const end = rest.search(/[/?#]/);
  if (end >= 0 && rest.lastIndexOf('@') > end) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}
const name = z.string().check(z.minLength(1), z.regex(/^[^\s#*]+$/, 'must not contain whitespace, "#" or "*"'), z.maxLength(200));
const absolutePath = z.string().check(z.refine((value) => isAbsolute(value), 'must be an absolute path'));
const seconds = numeric(z.number({ error: 'expected a number of seconds' }).check(z.positive(), z.maximum(31_536_000)));

/**
 * The agent's configuration. Keys are the INI keys (snake_case) so one name is used in the
 * file, in the environment (`VNFKIT_EMS_<KEY>`) and in the docs. Open Baton keys first.
 * Written with `zod/mini`: the daemon validates its configuration at every start, and the
 * tree-shakable API keeps zod's full (classic) build out of its start-up and idle memory.
 */
export const EmsConfig = z.strictObject({
  /** RabbitMQ host. Env `VNFKIT_EMS_BROKER_IP`. @default "localhost" */
  broker_ip: z._default(nonEmpty, 'localhost'),
  /** RabbitMQ port. Env `VNFKIT_EMS_BROKER_PORT`. @default 5672 */
  broker_port: z._default(numeric(z.int().check(z.minimum(1), z.maximum(65_535))), 5672),
  /** Broker user. Env `VNFKIT_EMS_USERNAME`. @default "admin" (Open Baton's) */
  username: z._default(nonEmpty, 'admin'),
  /** Broker password (masked in logs and `--check-config`). Env `VNFKIT_EMS_PASSWORD`. @default "openbaton" */
  password: z._default(z.string(), 'openbaton'),
  /** VNFC hostname given by the NFVO: actions queue `vnfm.<hostname>.actions` and hello. Required. Env `VNFKIT_EMS_HOSTNAME`. */
  hostname: name,
  /** VNFM endpoint type: hellos go to `ems.<type>.register`. Env `VNFKIT_EMS_TYPE`. @default "generic" */
  type: z._default(name, 'generic'),
  /** Auto-delete flag of the actions queue. Env `VNFKIT_EMS_AUTODELETE`. @default true */
  autodelete: z._default(bool, true),
  /** Exchange the actions queue is bound to. Env `VNFKIT_EMS_EXCHANGE`. @default "openbaton-exchange" */
  exchange: z._default(name, EXCHANGE),
  /** AMQP heartbeat in seconds (0 disables). Env `VNFKIT_EMS_HEARTBEAT`. @default 60 */
  heartbeat: z._default(numeric(z.int().check(z.minimum(0), z.maximum(3600))), 60),
  /** AMQP virtual host. Env `VNFKIT_EMS_VIRTUAL_HOST`. @default "/" */
  virtual_host: z._default(nonEmpty, '/'),
  /** The agent's script directory. Env `VNFKIT_EMS_SCRIPTS_DIR`. @default "/opt/openbaton/scripts" */
  scripts_dir: z._default(absolutePath, DEFAULT_SCRIPTS_PATH),
  /** Where execution records (redelivery protection) live. Env `VNFKIT_EMS_STATE_DIR`. @default "/var/lib/vnfkit-ems" */
  state_dir: z._default(absolutePath, '/var/lib/vnfkit-ems'),
  /** Honour any absolute `script-path` a command names. Env `VNFKIT_EMS_ALLOW_SCRIPT_PATH_OVERRIDE`. @default false */
  allow_script_path_override: z._default(bool, false),
  /**
   * Comma-separated environment variable names an `EXECUTE` may set although vnfkit refuses them
   * (`PATH`, `LD_PRELOAD`, …: see docs/ems.md, "Environment of a script"). Exact names, no patterns.
   * Env `VNFKIT_EMS_ALLOW_ENV`. @default "" (none)
   */
  allow_env: z._default(z.string().check(z.regex(/^[^=\0]*$/, 'must be a comma-separated list of variable names')), ''),
  /** Seconds one script may run before its process group is killed (status 124). Env `VNFKIT_EMS_COMMAND_TIMEOUT`. @default 1000 */
  command_timeout: z._default(seconds, 1000),
  /** Seconds between SIGTERM and SIGKILL when a script is killed. Env `VNFKIT_EMS_KILL_GRACE`. @default 5 */
  kill_grace: z._default(numeric(z.number().check(z.minimum(0), z.maximum(3600))), 5),
  /** Bytes of stdout and of stderr kept per script (each); the rest is drained and dropped. Env `VNFKIT_EMS_MAX_OUTPUT_BYTES`. @default 1048576 */
  max_output_bytes: z._default(numeric(z.int().check(z.minimum(1), z.maximum(1_073_741_824))), 1_048_576),
  /** Largest command body (bytes) the agent accepts; bigger ones are refused with status 1 before decoding. Env `VNFKIT_EMS_MAX_COMMAND_BYTES`. @default 16777216 */
  max_command_bytes: z._default(numeric(z.int().check(z.minimum(1024), z.maximum(1_073_741_824))), 16_777_216),
  /**
   * The key this VM was given (the Generic VNFM: per VNFR, through user-data); the agent signs and verifies with
   * `deriveAgentKey(signing_key, hostname)`. When set, commands not signed (v3) for this VM are refused and replies
   * are signed. Env `VNFKIT_EMS_SIGNING_KEY`.
   */
  signing_key: z.optional(z.string().check(z.minLength(16, 'must be at least 16 characters'))),
  /**
   * The VNFM's X25519 public key (43 base64url characters; the Generic VNFM: user-data `VNFM_PUBLIC_KEY`). With
   * `signing_key`, the agent makes a key pair of its own at first start (`<state_dir>/identity.pem`, root-only),
   * presents its public half in the hello, and signs and verifies with a key only this VM and the VNFM can derive
   * (`deriveVmKey`): root on a sibling VM of the same VNFR, which holds the same `signing_key`, cannot sign for this
   * one. Env `VNFKIT_EMS_VNFM_PUBLIC_KEY`.
   */
  vnfm_public_key: z.optional(
    z.string().check(z.regex(IDENTITY_PUBLIC_KEY_PATTERN, 'must be an X25519 public key: 43 base64url characters')),
  ),
  /** Refuse to start without `signing_key` (an agent without one runs whatever anyone on the broker sends). Env `VNFKIT_EMS_REQUIRE_SIGNING`. @default false */
  require_signing: z._default(bool, false),
  /**
   * With `signing_key`: seconds a signed command stays valid after the VNFM signed it; older ones, and
   * repeated correlation ids within it, are refused as replays. 0 = no age limit. Above the VNFM's command
   * timeout, so that a command it sends again while still waiting is never too old. Env `VNFKIT_EMS_MAX_COMMAND_AGE`. @default 1200
   */
  max_command_age: z._default(
    numeric(z.number({ error: 'expected a number of seconds' }).check(z.minimum(0), z.maximum(31_536_000))),
    1200,
  ),
  /** Upper bound of the reconnect backoff in seconds. Env `VNFKIT_EMS_RECONNECT_MAX_DELAY`. @default 30 */
  reconnect_max_delay: z._default(seconds, 30),
  /** Also write the JSON log to this file (stdout always). Env `VNFKIT_EMS_LOG_FILE`. */
  log_file: z.optional(absolutePath),
  /** pino log level. Env `VNFKIT_EMS_LOG_LEVEL`. @default "info" */
  log_level: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  /**
   * Full broker URL; overrides broker_ip/broker_port/username/password/virtual_host. For a RabbitMQ cluster, the
   * nodes' URLs comma-separated: the agent connects to the first that answers and moves on when it goes away.
   * Env `VNFKIT_EMS_AMQP_URL`.
   */
  amqp_url: z.optional(
    z.string().check(
      z.refine(
        (value) => splitList(value).every((url) => /^amqps?:\/\/\S+$/.test(url)),
        'must be an amqp:// or amqps:// URL (or a comma-separated list of them)',
      ),
      // Checked here, so that a URL the connection would reject never reaches a log; the message never quotes it.
      z.refine(
        (value) => splitList(value).every(parsableUrl),
        'is not a valid URL (percent-encode "@", ":", "/" and other special characters of the user name and password, e.g. "/" as %2F)',
      ),
    ),
  ),
  /**
   * More RabbitMQ cluster nodes beside `broker_ip`, comma-separated `host` or `host:port` (port default
   * `broker_port`), same user, password and vhost; tried in turn after `broker_ip`. Env `VNFKIT_EMS_BROKER_IPS`.
   */
  broker_ips: z.optional(
    z
      .string()
      .check(
        z.refine(
          (value) => splitList(value).every((host) => /^(\[[0-9A-Fa-f:.]+\]|[^\s,:/@[\]]+)(:\d{1,5})?$/.test(host)),
          'expected a comma-separated list of host or host:port',
        ),
      ),
  ),
  /** CA bundle (PEM) trusted for amqps:// connections. Env `VNFKIT_EMS_TLS_CA_FILE`. */
  tls_ca_file: z.optional(absolutePath),
  /** Seconds a `CLONE_SCRIPTS` git clone may take. Env `VNFKIT_EMS_GIT_TIMEOUT`. @default 300 */
  git_timeout: z._default(seconds, 300),
  /**
   * URL schemes `CLONE_SCRIPTS` may use, comma-separated, from `https`, `ssh` (also `user@host:path`),
   * `http` and `git`. The plaintext `http`/`git` ones (scripts that run as root, fetched unauthenticated;
   * `http://169.254.169.254/` reaches the cloud metadata service) only when listed here.
   * Env `VNFKIT_EMS_ALLOW_GIT_PROTOCOLS`. @default "https,ssh"
   */
  allow_git_protocols: z._default(
    z.pipe(
      z.transform((value: unknown) =>
        typeof value === 'string'
          ? value
              .split(',')
              .map((part) => part.trim().toLowerCase())
              .filter((part) => part !== '')
          : value,
      ),
      z.array(z.enum(['https', 'ssh', 'http', 'git'], { error: 'expected a comma-separated list of https, ssh, http, git' })),
    ),
    ['https', 'ssh'],
  ),
  /** Most files the script directory may hold; a `SAVE_SCRIPTS`/`SCRIPTS_UPDATE` adding one more is refused. Env `VNFKIT_EMS_MAX_SCRIPTS`. @default 1000 */
  max_scripts: z._default(numeric(z.int().check(z.minimum(1), z.maximum(1_000_000))), 1000),
  /** Most bytes the files of the script directory may add up to; a save beyond is refused. Env `VNFKIT_EMS_MAX_SCRIPTS_BYTES`. @default 268435456 (256 MiB) */
  max_scripts_bytes: z._default(numeric(z.int().check(z.minimum(1024), z.maximum(1_099_511_627_776))), 268_435_456),
});

/** The resolved configuration (defaults applied, validated); `loadConfig` returns it frozen. */
export type EmsConfig = z.output<typeof EmsConfig>;
/** What may be written in a config source (every key optional except `hostname`, strings accepted for numbers and booleans). */
export type EmsConfigInput = z.input<typeof EmsConfig>;
/** A frozen, validated configuration: parse once at the edge and pass this down. */
export type ResolvedEmsConfig = Readonly<EmsConfig>;

/** Every key the agent knows, in documentation order. */
export const CONFIG_KEYS: readonly string[] = Object.freeze(Object.keys(EmsConfig.shape));
const KNOWN_KEYS = new Set(CONFIG_KEYS);
const SECRET_KEYS = new Set(['password', 'signing_key']);

/** Options of {@link loadConfig} and {@link readConfigSources}. */
export interface LoadConfigOptions {
  /** Read only this file (it must exist) instead of the default search path. */
  file?: string;
  /** Files to read when `file` is not given, lowest precedence first. @default DEFAULT_CONFIG_SEARCH_PATH */
  searchPath?: readonly string[];
  /** Environment to read `VNFKIT_EMS_*` overrides from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Values that win over files and environment (e.g. from a library caller). */
  overrides?: Partial<Record<keyof EmsConfig, unknown>>;
}

/** The merged, not yet validated values and where they came from. */
export interface ConfigSources {
  /** Merged raw values (strings from files and environment, anything from overrides). */
  values: Record<string, unknown>;
  /** Files actually read, in precedence order (lowest first). */
  files: string[];
  /** Environment variables that were applied. */
  envKeys: string[];
  /** Non-fatal findings, e.g. unknown keys in an Open Baton file (ignored there). */
  warnings: string[];
}

function isOpenBatonFile(path: string): boolean {
  return path === OPENBATON_CONFIG_FILE || path === OPENBATON_LEGACY_CONFIG_FILE || /openbaton/i.test(path);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw configError(`cannot read config file ${path}`, [], error);
  }
}

function readIniValues(path: string, text: string, warnings: string[]): Record<string, string> {
  const { sections, problems } = parseIni(text);
  const errors = problems.map((p) => `${path}:${p.line}: ${p.message}`);
  if (errors.length > 0) throw configError(`invalid config file ${path}`, errors);
  const section = sections[CONFIG_SECTION];
  if (!section) {
    warnings.push(`${path}: no [${CONFIG_SECTION}] section; file ignored`);
    return {};
  }
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(section)) {
    if (!KNOWN_KEYS.has(key)) {
      unknown.push(key);
      continue;
    }
    // An empty value means "not set" (the Open Baton EMS treats an empty heartbeat as its default).
    if (value !== '') values[key] = value;
  }
  if (unknown.length > 0) {
    const list = unknown.map((key) => `"${key}"`).join(', ');
    // Foreign files may carry keys of other tools: tolerated there, fatal in our own file.
    if (isOpenBatonFile(path)) warnings.push(`${path}: unknown key(s) ${list} in [${CONFIG_SECTION}] ignored`);
    else
      throw configError(
        `invalid config file ${path}`,
        unknown.map((key) => `${path}: unknown key "${key}" in [${CONFIG_SECTION}]`),
      );
  }
  return values;
}

function readEnvValues(env: Record<string, string | undefined>, applied: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || value === undefined) continue;
    const key = variable.slice(ENV_PREFIX.length).toLowerCase();
    if (!KNOWN_KEYS.has(key)) {
      errors.push(`unknown environment variable ${variable} (known: ${CONFIG_KEYS.map((k) => ENV_PREFIX + k.toUpperCase()).join(', ')})`);
      continue;
    }
    if (value === '') continue;
    values[key] = value;
    applied.push(variable);
  }
  if (errors.length > 0) throw configError('invalid environment', errors);
  return values;
}

/** Reads and merges every source (files, then environment, then overrides) without validating. */
export async function readConfigSources(options: LoadConfigOptions = {}): Promise<ConfigSources> {
  const warnings: string[] = [];
  const files: string[] = [];
  const envKeys: string[] = [];
  let values: Record<string, unknown> = {};
  if (options.file !== undefined) {
    const text = await readOptional(options.file);
    if (text === undefined) throw configError(`config file ${options.file} does not exist`, []);
    values = { ...values, ...readIniValues(options.file, text, warnings) };
    files.push(options.file);
  } else {
    for (const path of options.searchPath ?? DEFAULT_CONFIG_SEARCH_PATH) {
      const text = await readOptional(path);
      if (text === undefined) continue;
      values = { ...values, ...readIniValues(path, text, warnings) };
      files.push(path);
    }
  }
  values = { ...values, ...readEnvValues(options.env ?? process.env, envKeys) };
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) values[key] = value;
  }
  return { values, files, envKeys, warnings };
}

/** Validates merged values into a frozen {@link ResolvedEmsConfig}; throws a `ConfigError` listing every bad key. */
export function resolveConfig(values: unknown): ResolvedEmsConfig {
  const given = values !== null && typeof values === 'object' ? (values as Record<string, unknown>) : {};
  const result = EmsConfig.safeParse(values);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `unknown key "${key}"`).join('; ');
      const key = issue.path.length > 0 ? issue.path.join('.') : '(config)';
      const top = issue.path[0];
      const missing = issue.code === 'invalid_type' && typeof top === 'string' && given[top] === undefined;
      const message = missing ? 'required' : issue.message;
      return `${key}: ${message}`;
    });
    throw configError('invalid EMS configuration', problems);
  }
  if (result.data.require_signing && result.data.signing_key === undefined) {
    throw configError('invalid EMS configuration', [
      'require_signing: set, but there is no signing_key (the agent must not run unsigned commands)',
    ]);
  }
  return Object.freeze({ ...result.data });
}

/**
 * Loads the agent's configuration once: INI files (`[ems]` section; Open Baton's files and
 * `/etc/vnfkit/ems.conf`), then `VNFKIT_EMS_<KEY>` environment variables, then `overrides`.
 * @example const config = await loadConfig({ file: '/etc/vnfkit/ems.conf' });
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedEmsConfig> {
  const { values } = await readConfigSources(options);
  return resolveConfig(values);
}

/** Replaces the password inside an AMQP URL with `***` (also when it holds "@", ":" or "/"; see `internal/redact.ts`). */
export function maskUrl(url: string): string {
  return redactUrl(url);
}

/** A copy of the config safe to print: secrets replaced by `***`. */
export function maskConfig(config: ResolvedEmsConfig): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET_KEYS.has(key) && value !== undefined) masked[key] = '***';
    else if (key === 'amqp_url' && typeof value === 'string') masked[key] = maskUrl(value);
    else masked[key] = value;
  }
  return masked;
}

/** The AMQP URL the agent connects to first: see {@link brokerUrls}. */
export function brokerUrl(config: ResolvedEmsConfig): string {
  return brokerUrls(config)[0] ?? '';
}

/**
 * The AMQP URLs the agent connects to, in order: `amqp_url` (one or a comma-separated list) if set, else built from
 * the broker_* keys — `broker_ip`, then each of `broker_ips`.
 */
export function brokerUrls(config: ResolvedEmsConfig): string[] {
  if (config.amqp_url !== undefined) return splitList(config.amqp_url);
  const credentials = `${encodeURIComponent(config.username)}:${encodeURIComponent(config.password)}`;
  const vhost = encodeURIComponent(config.virtual_host);
  // broker_ip is a host (a bare IPv6 address gets brackets); broker_ips entries may carry their own port.
  const hostPort = (host: string): string => `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.broker_port}`;
  const more = splitList(config.broker_ips ?? '').map((entry) => (/^(\[[^\]]+\]|[^:]+):\d+$/.test(entry) ? entry : hostPort(entry)));
  return [hostPort(config.broker_ip), ...more].map((host) => `amqp://${credentials}@${host}/${vhost}`);
}
