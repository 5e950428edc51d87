import { ConfigError } from '@vnfkit/protocol';
import type { Logger } from 'pino';

/**
 * How RPC replies come back: `direct` = RabbitMQ direct reply-to, `queue` = an exclusive server-named
 * queue (both die with the connection), `lasting-queue` = a named queue of this transport that
 * outlives a dropped connection (see {@link AmqpTransportOptions.replyMode}).
 */
export type ReplyMode = 'direct' | 'queue' | 'lasting-queue';

/** Reconnect backoff: capped exponential with jitter, reset after every successful handshake. */
export interface ReconnectOptions {
  /** First retry delay in milliseconds. @default 100 */
  initialDelayMs?: number;
  /** Cap of the retry delay in milliseconds. @default 30_000 */
  maxDelayMs?: number;
  /** Random fraction (0…1) taken off each delay so that many clients do not retry in lockstep. @default 0.5 */
  jitter?: number;
}

/** Options of {@link createAmqpTransport}. */
export interface AmqpTransportOptions {
  /**
   * Broker URL, `amqp://` or `amqps://`, with credentials and vhost; for a RabbitMQ cluster a comma-separated list of
   * the nodes' URLs (also in `AMQP_URL`). The transport connects to the first that answers and, when that connection
   * is lost, tries the next ones in turn.
   * @default the `AMQP_URL` environment variable, else 'amqp://guest:guest@127.0.0.1:5672'
   */
  url?: string;
  /** The cluster's node URLs as a list (instead of a comma-separated `url`). */
  urls?: readonly string[];
  /** PEM file with the CA that signed the broker's certificate (for `amqps://` with a private CA). */
  caFile?: string;
  /** AMQP heartbeat in seconds (0 disables it). @default 60 */
  heartbeatSeconds?: number;
  /** Connection name shown by the broker (`rabbitmqctl list_connections client_properties`). @default 'vnfkit' */
  connectionName?: string;
  /** Parent logger; the transport logs through a child with `component: 'amqp-transport'`. @default a disabled pino logger */
  logger?: Logger;
  /** Reconnect backoff bounds. @default { initialDelayMs: 100, maxDelayMs: 30_000, jitter: 0.5 } */
  reconnect?: ReconnectOptions;
  /** How long the first connect may retry before failing with a `TransportError`, in milliseconds. @default 30_000 */
  connectTimeoutMs?: number;
  /**
   * How long an operation (publish, declare, consume) attempted while disconnected waits for the
   * reconnect before failing with a `TimeoutError`, in milliseconds. @default 30_000
   */
  publishTimeoutMs?: number;
  /**
   * How RPC replies come back: `direct` = RabbitMQ direct reply-to (`amq.rabbitmq.reply-to`), `queue` =
   * an exclusive server-named reply queue, `lasting-queue` = a named reply queue
   * (`vnfkit.reply.<connection name>.<uuid>`, durable, not exclusive, removed `replyQueueExpiresMs` after
   * its last use) that survives a dropped connection and a broker restart. With `direct` and `queue` a request in flight when
   * the connection drops fails ("connection lost while waiting for …") because its reply can no longer
   * arrive, although the peer may have acted on it. With `lasting-queue` it keeps waiting (up to its
   * `timeoutMs`) and gets the reply the peer sent meanwhile, after the reconnect — choose it when a
   * request must not be given up (and then retried) while the peer may have carried it out. Needs a
   * broker user allowed to declare that queue. @default 'direct'
   */
  replyMode?: ReplyMode;
  /** `lasting-queue` only: the reply queue is deleted after this long without a consumer (x-expires), in milliseconds. @default 1_800_000 */
  replyQueueExpiresMs?: number;
  /**
   * `lasting-queue` only: `quorum` makes the reply queue a replicated quorum queue, so on a RabbitMQ cluster replies
   * still reach it while the node it was declared on is down (a classic queue is unavailable until its node returns).
   * @default 'classic'
   */
  replyQueueType?: 'classic' | 'quorum';
  /** How long `close()` and `Consumer.cancel()` wait for handlers in flight, in milliseconds. @default 30_000 */
  closeTimeoutMs?: number;
  /**
   * A publish whose connection dropped before the broker confirmed it is sent again on the next connection
   * (within one `publishTimeoutMs`) instead of failing. Only for messages the receiver takes once however often
   * they come (the EMS agent's hellos and replies, which the VNFM matches by correlation id). @default false
   */
  resendPublishes?: boolean;
  /**
   * A declaration, binding or consumer that cannot be restored on a new connection fails the connect attempt (it
   * is retried with backoff) instead of being skipped and logged — for a client whose queue binding is all it has
   * (the EMS agent, whose exchange the NFVO may declare later). @default false
   */
  strictRestore?: boolean;
  /**
   * One channel per connection: declarations and consumers use the publish channel instead of channels of their
   * own (3 for one consumer). Costs the broker less per connection — for a client with one consumer and no
   * requests, like each of thousands of EMS agents — at the price of isolation: a refused declaration also
   * ends the consumer's channel (it is started again). @default false
   */
  oneChannel?: boolean;
}

/** {@link AmqpTransportOptions} with every default applied; frozen. */
export interface ResolvedAmqpTransportOptions {
  /** The first of {@link urls} (for logs). */
  readonly url: string;
  readonly urls: readonly string[];
  readonly caFile: string | undefined;
  readonly heartbeatSeconds: number;
  readonly connectionName: string;
  readonly logger: Logger | undefined;
  readonly reconnect: Readonly<Required<ReconnectOptions>>;
  readonly connectTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly replyMode: ReplyMode;
  readonly replyQueueExpiresMs: number;
  readonly replyQueueType: 'classic' | 'quorum';
  readonly closeTimeoutMs: number;
  readonly resendPublishes: boolean;
  readonly strictRestore: boolean;
  readonly oneChannel: boolean;
}

/** The broker URL used when neither the options nor `AMQP_URL` name one. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

function positive(field: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ConfigError(
      `amqp transport option ${field} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`,
    );
  }
  return v;
}

/** A comma-separated list of broker URLs (one URL is a list of one); blanks around commas are ignored. */
export function splitUrls(list: string): string[] {
  return list
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/** The first URL of a list: the broker a list names for one-address uses (a host for the VMs, a vhost). */
export function firstUrl(list: string): string {
  return splitUrls(list)[0] ?? list;
}

function checkUrl(url: string): void {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new ConfigError('amqp transport option url is not a valid URL');
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:')
    throw new ConfigError(`amqp transport option url must start with amqp:// or amqps://, got ${protocol}//`);
}

/**
 * Applies defaults and checks the transport options once. This is the only place that reads the
 * environment (`AMQP_URL`); throws a `ConfigError` naming the bad field.
 */
export function resolveAmqpOptions(
  options: AmqpTransportOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedAmqpTransportOptions {
  const urls = options.urls !== undefined ? [...options.urls] : splitUrls(options.url ?? env['AMQP_URL'] ?? DEFAULT_AMQP_URL);
  if (urls.length === 0) throw new ConfigError('amqp transport option urls is empty');
  for (const url of urls) checkUrl(url);
  const jitter = options.reconnect?.jitter ?? 0.5;
  if (!(jitter >= 0 && jitter <= 1))
    throw new ConfigError(`amqp transport option reconnect.jitter must be between 0 and 1, got ${String(jitter)}`);
  const initialDelayMs = positive('reconnect.initialDelayMs', options.reconnect?.initialDelayMs, 100);
  const maxDelayMs = positive('reconnect.maxDelayMs', options.reconnect?.maxDelayMs, 30_000);
  if (maxDelayMs < initialDelayMs)
    throw new ConfigError(
      `amqp transport option reconnect.maxDelayMs (${maxDelayMs}) is below reconnect.initialDelayMs (${initialDelayMs})`,
    );
  const replyMode = options.replyMode ?? 'direct';
  if (replyMode !== 'direct' && replyMode !== 'queue' && replyMode !== 'lasting-queue') {
    throw new ConfigError(`amqp transport option replyMode must be 'direct', 'queue' or 'lasting-queue', got ${String(replyMode)}`);
  }
  return Object.freeze({
    url: urls[0] ?? DEFAULT_AMQP_URL,
    urls: Object.freeze(urls),
    caFile: options.caFile,
    heartbeatSeconds: positive('heartbeatSeconds', options.heartbeatSeconds, 60, true),
    connectionName: options.connectionName ?? 'vnfkit',
    logger: options.logger,
    reconnect: Object.freeze({ initialDelayMs, maxDelayMs, jitter }),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 30_000),
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 30_000),
    replyMode,
    replyQueueExpiresMs: positive('replyQueueExpiresMs', options.replyQueueExpiresMs, 1_800_000),
    replyQueueType: options.replyQueueType ?? 'classic',
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 30_000, true),
    resendPublishes: options.resendPublishes ?? false,
    strictRestore: options.strictRestore ?? false,
    oneChannel: options.oneChannel ?? false,
  });
}
