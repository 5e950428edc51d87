import { BOOTSTRAP_PASSWORD, BOOTSTRAP_USERNAME, ConfigError } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { ReplyMode } from '@vnfkit/transport';
import type { Transport } from '@vnfkit/transport';

/** Credentials for a broker connection. */
export interface BrokerCredentials {
  username: string;
  password: string;
}

/** Opens a transport with the given credentials (the bootstrap user, then the per-VNFM user). */
export type TransportFactory = (credentials: BrokerCredentials | undefined) => Promise<Transport>;

/** Options of an {@link AbstractVnfm}. Environment variables are read once, by {@link resolveVnfmOptions}. */
export interface VnfmOptions {
  /** VNFM type; must equal the VNFD `endpoint`. Env `VNFM_TYPE`. */
  type?: string;
  /** Queue the NFVO sends commands to. Env `VNFM_ENDPOINT`. @default type */
  endpoint?: string;
  /** Env `VNFM_DESCRIPTION`. @default 'vnfkit VNFM' */
  description?: string;
  /** Broker URL. Env `AMQP_URL`. @default 'amqp://guest:guest@127.0.0.1:5672' */
  amqpUrl?: string;
  /** Opens transports; default: the amqp transport at `amqpUrl` with the given credentials. */
  transportFactory?: TransportFactory;
  /** Bootstrap (registration) user. @default { username: 'openbaton-manager-user', password: 'openbaton' } */
  bootstrapCredentials?: BrokerCredentials;
  /** Skip the per-VNFM credentials and keep the bootstrap connection (test set-ups, single-user brokers). @default false */
  reuseBootstrapConnection?: boolean;
  /** Who creates VMs: the NFVO (ALLOCATE_RESOURCES) or the VNFM itself (`allocate` hook). @default 'nfvo' */
  allocate?: 'nfvo' | 'vnfm';
  /** Commands handled at once (different VNFRs). @default 10 */
  concurrency?: number;
  /** Milliseconds. Env `VNFKIT_REGISTER_TIMEOUT_MS`. @default 5000 */
  registerTimeoutMs?: number;
  /** Registration attempts. @default 20 */
  registerAttempts?: number;
  /** Milliseconds. Env `VNFKIT_GRANT_TIMEOUT_MS`. @default 120000 */
  grantTimeoutMs?: number;
  /** Milliseconds (VM creation can take minutes). Env `VNFKIT_ALLOCATE_TIMEOUT_MS`. @default 600000 */
  allocateTimeoutMs?: number;
  /**
   * Operation journal file (JSON lines): with one, a VNFM killed mid-operation answers the interrupted NFVO
   * command after its restart and never runs it twice. Without one the journal is kept in memory.
   * Env `VNFKIT_JOURNAL_FILE`.
   */
  journalFile?: string;
  /**
   * Declare the `<endpoint>` queue auto-delete, as Open Baton's SDKs do (`autodelete=true`). The default (false)
   * keeps the queue, and commands in it, when the last VNFM process dies. Env `VNFKIT_ENDPOINT_AUTO_DELETE`.
   * @default false
   */
  endpointQueueAutoDelete?: boolean;
  /**
   * Run as one of several replicas of this VNFM (same type and endpoint, docs/reliability.md "VNFM replicas"):
   * the `<endpoint>` queue gets a single active consumer (the others stand by and take over when it goes), and the
   * operation journal lives on the RabbitMQ stream `vnfkit.journal.<endpoint>` that every replica reads, instead of
   * `journalFile`. A replica that receives a command another one was running waits for that one to answer it, or,
   * once the other is gone for {@link takeoverGraceMs}, answers it from the journal. Replicas never unregister the
   * endpoint on close. Every process of the endpoint must use the same setting: the queue's arguments differ.
   * Env `VNFKIT_REPLICATED`. @default false
   */
  replicated?: boolean;
  /**
   * The `<endpoint>` queue's type. `quorum` replicates it over a RabbitMQ cluster (commands waiting in it survive a
   * node's loss); it must be created so: a queue declared before with another type is refused by the broker. Keep
   * `classic` where Open Baton's NFVO declares the queue itself. Env `VNFKIT_ENDPOINT_QUEUE_TYPE`. @default 'classic'
   */
  endpointQueueType?: 'classic' | 'quorum';
  /** Replicas: how long another replica must be gone before its unanswered commands are taken over, in ms. @default 10000 */
  takeoverGraceMs?: number;
  /**
   * Largest NFVO command body handled; bigger ones are answered with ERROR without being decoded.
   * Env `VNFKIT_MAX_COMMAND_BYTES`. @default 67108864 (64 MiB: INSTANTIATE carries the VNF package's scripts)
   */
  maxCommandBytes?: number;
  /**
   * Where the NFVO's answers to GRANT_OPERATION / ALLOCATE_RESOURCES / SCALING arrive (amqp transport
   * `replyMode`). `'direct'` (Open Baton's direct reply-to) fails a request in flight when the connection drops;
   * `'lasting-queue'` keeps waiting on a named reply queue that survives the drop, but the broker user must be
   * allowed to declare `vnfkit.reply.*` queues. Env `VNFKIT_NFVO_REPLY_MODE`. @default 'direct'
   */
  nfvoReplyMode?: ReplyMode;
  logger?: Logger;
}

/** {@link VnfmOptions} with defaults applied. */
export interface ResolvedVnfmOptions {
  readonly type: string;
  readonly endpoint: string;
  readonly description: string;
  readonly amqpUrl: string;
  readonly transportFactory: TransportFactory | undefined;
  readonly bootstrapCredentials: BrokerCredentials;
  readonly reuseBootstrapConnection: boolean;
  readonly allocate: 'nfvo' | 'vnfm';
  readonly concurrency: number;
  readonly registerTimeoutMs: number;
  readonly registerAttempts: number;
  readonly grantTimeoutMs: number;
  readonly allocateTimeoutMs: number;
  readonly journalFile: string | undefined;
  readonly endpointQueueAutoDelete: boolean;
  readonly replicated: boolean;
  readonly endpointQueueType: 'classic' | 'quorum';
  readonly takeoverGraceMs: number;
  readonly maxCommandBytes: number;
  readonly nfvoReplyMode: ReplyMode;
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function queueType(env: NodeJS.ProcessEnv): 'classic' | 'quorum' {
  const raw = env['VNFKIT_ENDPOINT_QUEUE_TYPE'];
  if (raw === undefined || raw === '') return 'classic';
  if (raw !== 'classic' && raw !== 'quorum')
    throw new ConfigError(`VNFKIT_ENDPOINT_QUEUE_TYPE: expected classic or quorum, got ${JSON.stringify(raw)}`);
  return raw;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(env[name])}`);
}

function replyMode(env: NodeJS.ProcessEnv): ReplyMode {
  const raw = env['VNFKIT_NFVO_REPLY_MODE'];
  if (raw === undefined || raw === '') return 'direct';
  if (raw === 'direct' || raw === 'queue' || raw === 'lasting-queue') return raw;
  throw new ConfigError(`VNFKIT_NFVO_REPLY_MODE: expected direct, queue or lasting-queue, got ${JSON.stringify(raw)}`);
}

/** Applies defaults and the environment once; throws a ConfigError naming the bad setting. */
export function resolveVnfmOptions(options: VnfmOptions, env: NodeJS.ProcessEnv = process.env): ResolvedVnfmOptions {
  const type = options.type ?? env['VNFM_TYPE'];
  if (!type) throw new ConfigError('VNFM type missing: pass `type` or set VNFM_TYPE');
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new ConfigError(`VNFM type ${JSON.stringify(type)}: use letters, digits, '.', '_' or '-'`);
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`concurrency: expected a positive integer, got ${concurrency}`);
  return Object.freeze({
    type,
    endpoint: options.endpoint ?? env['VNFM_ENDPOINT'] ?? type,
    description: options.description ?? env['VNFM_DESCRIPTION'] ?? 'vnfkit VNFM',
    amqpUrl: options.amqpUrl ?? env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    transportFactory: options.transportFactory,
    bootstrapCredentials: options.bootstrapCredentials ?? { username: BOOTSTRAP_USERNAME, password: BOOTSTRAP_PASSWORD },
    reuseBootstrapConnection: options.reuseBootstrapConnection ?? false,
    allocate: options.allocate ?? 'nfvo',
    concurrency,
    registerTimeoutMs: options.registerTimeoutMs ?? positive(env, 'VNFKIT_REGISTER_TIMEOUT_MS') ?? 5_000,
    registerAttempts: options.registerAttempts ?? 20,
    grantTimeoutMs: options.grantTimeoutMs ?? positive(env, 'VNFKIT_GRANT_TIMEOUT_MS') ?? 120_000,
    allocateTimeoutMs: options.allocateTimeoutMs ?? positive(env, 'VNFKIT_ALLOCATE_TIMEOUT_MS') ?? 600_000,
    journalFile: options.journalFile ?? (env['VNFKIT_JOURNAL_FILE'] || undefined),
    endpointQueueAutoDelete: options.endpointQueueAutoDelete ?? flag(env, 'VNFKIT_ENDPOINT_AUTO_DELETE') ?? false,
    replicated: options.replicated ?? flag(env, 'VNFKIT_REPLICATED') ?? false,
    endpointQueueType: options.endpointQueueType ?? queueType(env),
    takeoverGraceMs: options.takeoverGraceMs ?? 10_000,
    maxCommandBytes: options.maxCommandBytes ?? positive(env, 'VNFKIT_MAX_COMMAND_BYTES') ?? 64 * 1024 * 1024,
    nfvoReplyMode: options.nfvoReplyMode ?? replyMode(env),
  });
}
