import { join } from 'node:path';
import {
  BUNDLES_V2,
  DEDUPLICATES_BY_CORRELATION_ID,
  VERIFIES_SIGNATURE_V3,
  deriveAgentKey,
  emsActionsQueue,
  emsRegisterQueue,
  identityMac,
  type IdentityKeyPair,
} from '@vnfkit/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createCommandHandler } from './command-handler.js';
import type { EmsConfigInput, ResolvedEmsConfig } from './config.js';
import { ENV_PREFIX, resolveConfig } from './config.js';
import { processRunner } from './exec.js';
import { Hellos } from './hello.js';
import type { ScriptRunner } from './exec.js';
import { createExecutionStore } from './execution-store.js';
import type { ExecutionStore } from './execution-store.js';
import { isAgentOnlyVariable } from './internal/script-env.js';
import { loadOrCreateIdentity } from './identity/identity-file.js';
import { encodeBody } from './internal/wire.js';
import type { AgentTransport } from './transport/agent-transport.js';
import { createAgentTransport } from './transport/agent-transport.js';
import type { AmqpTransport, Consumer, PublishProperties } from '@vnfkit/transport';

/** Life-cycle states of an {@link Agent}. */
export type AgentState = 'created' | 'starting' | 'running' | 'closing' | 'closed';

/** Options of {@link createAgent}. */
export interface CreateAgentOptions {
  /** A config from `loadConfig`, or raw values (validated here, once). */
  config: ResolvedEmsConfig | EmsConfigInput;
  /**
   * The broker connection. Default: an `AmqpTransport` to `amqp_url`/`broker_*` (reconnecting for ever), owned and
   * closed by the agent. A passed transport (e.g. a `MemoryTransport` for in-process mode) is used as is and NOT
   * closed by `close()`.
   */
  transport?: AgentTransport;
  /** @default a disabled pino logger */
  logger?: Logger;
  /** Runs scripts. @default real processes (`processRunner`) */
  runner?: ScriptRunner;
  /**
   * The environment scripts inherit (below the VNFM's `env`). `VNFKIT_EMS_*` variables are
   * removed so scripts never see the agent's broker password or signing key. @default process.env
   */
  env?: Record<string, string | undefined>;
}

/** A running EMS agent (one per VM / VNFC hostname). */
export interface Agent {
  /** The VNFC hostname this agent answers for. */
  readonly hostname: string;
  /** The actions queue it consumes, `vnfm.<hostname>.actions`. */
  readonly queue: string;
  /** The queue its hellos go to, `ems.<type>.register`. */
  readonly registerQueue: string;
  /** The frozen configuration in use. */
  readonly config: ResolvedEmsConfig;
  readonly state: AgentState;
  /** Declares and binds the actions queue, consumes it, sends the hello (and again after every reconnect). Idempotent. */
  start(): Promise<void>;
  /** Stops consuming, lets a running command finish and reply, closes an owned transport. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Variables of the agent's environment passed on to scripts: strings only, agent settings and agent-only variables (`NODE_ENV`, systemd's) removed. */
export function scriptBaseEnv(env: Record<string, string | undefined>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isAgentOnlyVariable(name, ENV_PREFIX)) base[name] = value;
  }
  return base;
}

class EmsAgent implements Agent {
  readonly hostname: string;
  readonly queue: string;
  readonly registerQueue: string;
  private current: AgentState = 'created';
  private consumer: Consumer | undefined;
  private store: ExecutionStore | undefined;
  /** This VM's key pair (with signing_key and vnfm_public_key). */
  private identity: IdentityKeyPair | undefined;
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private readonly hellos: Hellos;
  private readonly onReconnect = (): void => {
    void this.hellos.say();
  };

  constructor(
    readonly config: ResolvedEmsConfig,
    private readonly transport: AgentTransport,
    private readonly deps: { owned: AmqpTransport | undefined; logger: Logger; runner: ScriptRunner; baseEnv: Record<string, string> },
  ) {
    this.hostname = config.hostname;
    this.queue = emsActionsQueue(config.hostname);
    this.registerQueue = emsRegisterQueue(config.type);
    this.hellos = new Hellos({
      transport,
      registerQueue: this.registerQueue,
      logger: deps.logger,
      message: () => this.helloMessage(),
      wanted: () => this.current !== 'closing' && this.current !== 'closed',
    });
  }

  get state(): AgentState {
    return this.current;
  }

  start(): Promise<void> {
    if (this.current === 'closing' || this.current === 'closed') return Promise.reject(new Error('the agent is closed'));
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    this.current = 'starting';
    const { logger } = this.deps;
    if (!/-\d+$/.test(this.hostname)) {
      // The Generic VNFM matches hellos by the trailing number of the hostname and drops others.
      logger.warn({ hostname: this.hostname }, 'hostname has no "-<digits>" suffix; an Open Baton Generic VNFM will ignore this agent');
    }
    if (this.config.signing_key === undefined) {
      // resolveConfig already refused require_signing without a key.
      logger.warn(
        'no signing_key: this agent runs, as root, any command anyone with access to its queue sends; set signing_key (and require_signing) — a vnfkit VNFM with a key refuses this agent',
      );
    }
    if (this.config.signing_key !== undefined && this.config.vnfm_public_key !== undefined) {
      const { identity, created } = loadOrCreateIdentity(this.config.state_dir);
      this.identity = identity;
      logger.info(
        { publicKey: identity.publicKey, created },
        'per-VM key pair ready: commands and replies use the key only this VM and its VNFM derive',
      );
    } else if (this.config.signing_key !== undefined) {
      logger.warn("signing_key without vnfm_public_key: every VM given the same signing_key can derive this VM's key and sign for it");
    }
    // With an auto-delete actions queue the broker cannot redeliver a command (it vanishes with the
    // agent's connection), so the "started" record is not synced; see ExecutionStoreOptions.
    const store = await createExecutionStore({ dir: join(this.config.state_dir, 'executions'), durable: !this.config.autodelete });
    this.store = store;
    const handler = createCommandHandler({
      transport: this.transport,
      store,
      logger,
      context: { config: this.config, runner: this.deps.runner, logger, baseEnv: this.deps.baseEnv },
      ...(this.identity !== undefined ? { identity: this.identity } : {}),
    });
    // `connected` fires on every connection (first and after a reconnect): each one gets a hello. Listening
    // before an owned transport starts, its first connection does too.
    this.transport.on('connected', this.onReconnect);
    // Never declare ems.<type>.register: the VNFM owns it (a declare with other flags fails).
    await this.transport.declareQueue(this.queue, { durable: false, exclusive: false, autoDelete: this.config.autodelete });
    await this.transport.bindQueue(this.queue, this.config.exchange, this.queue);
    this.consumer = await this.transport.consume(this.queue, handler, { prefetch: 1, concurrency: 1 });
    // An owned transport was idle until now (the topology above is applied on its first connection).
    if (this.deps.owned) this.deps.owned.start();
    else await this.hellos.say();
    if (this.current === 'starting') this.current = 'running';
    logger.info({ queue: this.queue, registerQueue: this.registerQueue }, 'agent started');
  }

  /** The hello `{"hostname":…}` (with what this agent offers), for `ems.<type>.register` on the default exchange. */
  private helloMessage(): { body: Uint8Array; properties: PublishProperties } {
    // `verifies` tells a VNFM with a key that this agent refuses unsigned commands and signs its replies.
    const hello = {
      hostname: this.hostname,
      deduplicates: DEDUPLICATES_BY_CORRELATION_ID,
      bundles: BUNDLES_V2,
      ...(this.config.signing_key !== undefined ? { verifies: VERIFIES_SIGNATURE_V3 } : {}),
      // The VNFM pins the first identity it sees for this host; the MAC shows it comes from a VM of this VNFR.
      ...(this.identity !== undefined && this.config.signing_key !== undefined
        ? {
            identity: {
              publicKey: this.identity.publicKey,
              mac: identityMac(deriveAgentKey(this.config.signing_key, this.hostname), this.hostname, this.identity.publicKey),
            },
          }
        : {}),
    };
    return encodeBody(hello);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    const wasStarted = this.startPromise;
    this.current = 'closing';
    if (wasStarted) await wasStarted.catch(() => undefined);
    this.transport.off('connected', this.onReconnect);
    this.hellos.stop();
    await this.consumer?.cancel();
    if (this.deps.owned) await this.transport.close();
    this.store?.close();
    this.current = 'closed';
    this.deps.logger.info('agent closed');
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates an EMS agent. Without `transport` it builds its own AMQP transport (reconnecting for ever);
 * with one (e.g. a `MemoryTransport`) it runs in-process without any AMQP.
 * @example
 * const agent = await createAgent({ config: await loadConfig() });
 * await agent.start();
 */
export async function createAgent(options: CreateAgentOptions): Promise<Agent> {
  const config = resolveConfig(options.config);
  const logger = (options.logger ?? pino({ enabled: false })).child({ hostname: config.hostname });
  const deps = { logger, runner: options.runner ?? processRunner, baseEnv: scriptBaseEnv(options.env ?? process.env) };
  if (options.transport !== undefined) return new EmsAgent(config, options.transport, { ...deps, owned: undefined });
  const owned = await createAgentTransport(config, logger);
  return new EmsAgent(config, owned, { ...deps, owned });
}
