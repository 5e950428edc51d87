import { createHash, randomUUID } from 'node:crypto';
import {
  DEDUP_HEADER,
  DEDUPLICATES_BY_CORRELATION_ID,
  DEFAULT_SCRIPTS_PATH,
  EXCHANGE,
  REPLY_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  VERIFIES_SIGNATURE_V3,
  BUNDLES_V1,
  BUNDLES_V2,
  bundleFiles,
  wireFiles,
  decodeEmsHello,
  decodeEmsReply,
  deriveAgentKey,
  deriveVmKey,
  emsActionsQueue,
  emsRegisterQueue,
  encodeMessage,
  signCommand,
  toBase64,
  toError,
  verifyIdentityMac,
  verifyReplySignature,
  type EmsCommand,
  type EmsHello,
  type IdentityKeyPair,
  type EmsReply,
  type VNFRecordDependency,
} from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { EmsAgentGoneError, EmsCommandError, EmsTimeoutError, EmsUntrustedError } from '../errors.js';
import type { Consumer, IncomingMessage, RequestOptions, Transport } from '@vnfkit/transport';
import type { IdentityPins } from './identity-pins.js';
import { nextOperationCorrelationId } from './operation-context.js';

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Identities kept per host from its hellos (MACs are checked when a command is sent). */
const MAX_IDENTITIES_PER_HOST = 8;

/** Options of {@link EmsClient}. */
export interface EmsClientOptions {
  transport: Transport;
  /** VNFM endpoint: hellos arrive on `ems.<endpoint>.register`. @default 'generic' */
  endpoint?: string;
  /** Per-command deadline in ms (upstream `vnfm.rabbitmq.sar.timeout`). @default 1_000_000 */
  commandTimeoutMs?: number;
  /** Deadline in ms for a VM's agent to say hello (upstream `vnfm.ems.start.timeout`). @default 500_000 */
  helloTimeoutMs?: number;
  /** Broker address VMs should reach, quoted in the hello-timeout error. @default 'the broker' */
  brokerAddress?: string;
  /**
   * Signing: the key the agent of a host holds as its `signing_key` — one string for every agent, or per host (the
   * Generic VNFM: `deriveVnfrKey(master, <the host's VNFR id>)`; `undefined` for a host = its commands fail). Each
   * command is then signed (v3) with that VM's own key `deriveAgentKey(key, hostname)` over time, correlation id,
   * `vnfm.<hostname>.actions`, `reply_to` and body; an agent whose hello does not say it verifies is refused; a
   * reply not signed by that VM's key is refused (`EmsUntrustedError`). Never logged.
   */
  signingKey?: string | ((hostname: string) => string | undefined);
  /**
   * Per-VM keys, with `signingKey`: the VNFM's key pair (`vnfmIdentity(master)`, its public half given to the agents
   * as `vnfm_public_key`) and where the VMs' identities are pinned. Every agent must present an identity in its hello,
   * MAC'd with its host key; the first one of a host is pinned, and its commands and replies are signed with
   * `deriveVmKey`, which no sibling VM (same VNFR, same host key) can derive. An agent that presents none, or a host
   * that presents a key other than its pinned one (a VM impersonating it, or a rebuilt VM), is refused
   * (`EmsUntrustedError`) until its pin is forgotten ({@link EmsClient.forget}).
   */
  identity?: { keyPair: IdentityKeyPair; pins: IdentityPins };
  /** `script-path` sent with every command. @default '/opt/openbaton/scripts' */
  scriptPath?: string;
  /**
   * How long, in ms, the agent of a host may be absent — the broker shows no actions queue `vnfm.<hostname>.actions`,
   * or one nobody consumes — before the commands waiting for it fail with {@link EmsAgentGoneError} instead of
   * waiting out `commandTimeoutMs`. An agent running a long script keeps consuming, so it is never failed by this.
   * A powered-off or frozen VM only loses its consumer once the broker misses its AMQP heartbeats, so the time to
   * the error is this plus that (RabbitMQ: about 2–3 × the agent's heartbeat). Keep it above the agent's
   * reconnect gap. `0` turns the watch off. @default 20_000
   */
  agentAbsenceTimeoutMs?: number;
  /**
   * How often, in ms, the actions queue of a host with waiting commands is looked at (one passive declare per
   * host, shared by all its commands). @default a quarter of `agentAbsenceTimeoutMs`, between 250 and 5_000
   */
  agentPollIntervalMs?: number;
  /**
   * While {@link EmsClient.waitForAgent} waits, an agent whose actions queue `vnfm.<hostname>.actions` has had a
   * consumer this long, in ms, without its hello arriving is taken as registered, without vnfkit extensions (no
   * re-sends, bundles or signing): its hello was lost. Open Baton's EMS sends one hello per connection
   * (openbaton/ems `ems/ems.py`), and the broker drops it while the VNFM's auto-delete register queue is gone (the
   * VNFM reconnecting); a vnfkit agent says it again until a queue takes it. Never with `signingKey` (the hello
   * carries what signing needs). `0` turns it off.
   * @default 5_000
   */
  helloFallbackMs?: number;
  /**
   * VNFM replicas: every replica's client sees every hello (see {@link EmsClient.start}), and the register queue is a
   * quorum queue (a cluster node may be down). @default false
   */
  shareHellos?: boolean;
  logger?: Logger;
}

/** A command waiting for an agent, as the absence watch sees it. */
interface WatchedCommand {
  readonly controller: AbortController;
  readonly command: string;
  readonly script: string | undefined;
}

/** Per host with waiting commands: what the broker last said of its agent's actions queue. */
interface AgentWatch {
  readonly commands: Set<WatchedCommand>;
  timer: NodeJS.Timeout | undefined;
  /** When the agent was first seen absent in the current streak (undefined: present, or not known). */
  absentSince: number | undefined;
  seen: 'no queue' | 'no consumer' | undefined;
}

/**
 * The VNFM's side of the VNFM ⇄ EMS protocol: collects agent hellos, waits for a VM's agent by exact
 * hostname, and sends typed commands with per-command timeouts.
 *
 * A command to an agent whose hello says it deduplicates by correlation id (every vnfkit agent) is sent
 * again, with the same correlation id, whenever its command or reply may have been lost: after this
 * client's broker connection came back (a broker restart drops the non-persistent messages it held) and
 * when the agent says hello again (it reconnected, and its auto-delete actions queue went away with
 * whatever waited in it). The agent answers a repeat from its execution record, so nothing runs twice;
 * a second reply is dropped. Commands to other agents (Open Baton's EMS) are sent once.
 */
export class EmsClient {
  private readonly registered = new Set<string>();
  /** Agents whose hello promised to answer repeated commands from their records. */
  private readonly deduplicating = new Set<string>();
  /** Agents whose hello says they refuse commands not signed for them (`verifies: 'signature-v3'`). */
  private readonly verifying = new Set<string>();
  /** Agents whose hello says they take bundled commands (`bundles: 'v1'` or `'v2'`). */
  private readonly bundling = new Set<string>();
  /** Agents whose hello says they take package files within an EXECUTE (`bundles: 'v2'`). */
  private readonly filesWithExecute = new Set<string>();
  /** Per host: the identities (public key → MAC) its hellos presented since it was last forgotten. */
  private readonly offered = new Map<string, Map<string, string>>();
  /** Hosts a hello presented an identity for that its host key does not verify. */
  private readonly unverifiable = new Set<string>();
  /** Per deduplicating agent: the correlation ids of the commands waiting for its reply. */
  private readonly waitingCommands = new Map<string, Set<string>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Hosts with waiting commands whose agent is watched ({@link EmsClientOptions.agentAbsenceTimeoutMs}). */
  private readonly watches = new Map<string, AgentWatch>();
  private consumer: Consumer | undefined;
  private helloConsumer: Consumer | undefined;
  private readonly log: Logger;
  private readonly endpoint: string;

  constructor(private readonly options: EmsClientOptions) {
    this.endpoint = options.endpoint ?? 'generic';
    this.log = (options.logger ?? pino({ enabled: false })).child({ component: 'ems-client', endpoint: this.endpoint });
  }

  /**
   * Declares `openbaton-exchange` and `ems.<endpoint>.register` (durable, auto-delete) and consumes hellos. With
   * `shareHellos` (VNFM replicas) every hello is passed on to the fanout exchange `vnfkit.hellos.<endpoint>`, which
   * each replica's client reads through a queue of its own: the register queue gives a hello to one replica only.
   */
  async start(): Promise<void> {
    const t = this.options.transport;
    await t.declareExchange(EXCHANGE, 'topic', { durable: true });
    // Open Baton's flags, or for replicas on a cluster a quorum queue: hellos must reach it while a node is down.
    const flags = this.options.shareHellos === true ? { durable: true, type: 'quorum' as const } : { durable: true, autoDelete: true };
    const queue = await t.declareQueue(emsRegisterQueue(this.endpoint), flags);
    await t.bindQueue(queue, EXCHANGE, queue);
    if (this.options.shareHellos === true) {
      const fanout = `vnfkit.hellos.${this.endpoint}`;
      await t.declareExchange(fanout, 'fanout', { durable: true });
      const mine = await t.declareQueue('', { exclusive: true, autoDelete: true });
      await t.bindQueue(mine, fanout, '');
      this.helloConsumer = await t.consume(mine, (m) => this.onHello(m), { prefetch: 100, concurrency: 100 });
      this.consumer = await t.consume(queue, (m) => t.publish(fanout, '', m.body, m.properties), { prefetch: 100, concurrency: 100 });
    } else {
      this.consumer = await t.consume(queue, (m) => this.onHello(m), { prefetch: 100, concurrency: 100 });
    }
    t.on('reconnected', this.onReconnected);
  }

  private async onHello(m: IncomingMessage): Promise<void> {
    try {
      const hello = decodeEmsHello(m.body);
      const { hostname } = hello;
      this.log.info({ hostname }, 'EMS agent registered');
      this.register(hostname, hello);
      // Judged when a command is sent: the host's key (its VNFR) may not be known yet.
      if (hello.identity !== undefined) this.offer(hostname, hello.identity);
      // A hello while commands wait: the agent reconnected, and what waited in its queue may be gone.
      if (this.deduplicating.has(hostname)) this.resend(this.waitingCommands.get(hostname), `the agent of ${hostname} said hello again`);
      this.wake(hostname);
    } catch (error) {
      this.log.warn({ err: toError(error).message }, 'invalid EMS hello dropped');
    }
  }

  /**
   * Keeps an identity a hello presented for judging when a command is sent. One not MAC'd with the host's key is
   * dropped here when that key is known already; the rest are bounded per host (anyone on the broker can send
   * hellos, and more than one key for a host is a conflict anyway).
   */
  private offer(hostname: string, identity: { publicKey: string; mac: string }): void {
    const hostKey = this.hostKey(hostname);
    if (hostKey !== undefined && !verifyIdentityMac(hostKey, { hostname, ...identity })) {
      this.log.warn({ hostname, publicKey: identity.publicKey }, "a hello presented an identity not MAC'd with the host's key; ignored");
      this.unverifiable.add(hostname);
      return;
    }
    const offered = this.offered.get(hostname) ?? new Map<string, string>();
    if (offered.size < MAX_IDENTITIES_PER_HOST || offered.has(identity.publicKey)) offered.set(identity.publicKey, identity.mac);
    this.offered.set(hostname, offered);
  }

  /** Stops consuming hellos. */
  async stop(): Promise<void> {
    this.options.transport.off('reconnected', this.onReconnected);
    for (const watch of this.watches.values()) clearTimeout(watch.timer);
    this.watches.clear();
    await this.consumer?.cancel();
    await this.helloConsumer?.cancel();
  }

  /** The broker connection came back: messages the broker held may be gone (a restart), so everything pending is sent again. */
  private readonly onReconnected = (): void => {
    // What was seen before this connection dropped says nothing now: the agents reconnect too.
    for (const watch of this.watches.values()) watch.absentSince = undefined;
    for (const [hostname, waiting] of this.waitingCommands)
      if (this.deduplicating.has(hostname)) this.resend(waiting, 'the broker connection came back');
  };

  private resend(waiting: Set<string> | undefined, why: string): void {
    if (waiting === undefined || waiting.size === 0) return;
    let sent = 0;
    for (const correlationId of waiting) if (this.options.transport.resendRequest(correlationId)) sent += 1;
    if (sent > 0) this.log.info({ commands: sent, why }, 'sent waiting commands again (the agent answers a repeat from its record)');
  }

  /**
   * True when `hostname`'s agent said in its hello that it takes bundled commands (`bundles: 'v1'` or `'v2'`, every
   * vnfkit agent): several files in one SAVE_SCRIPTS ({@link saveScripts}), a dependency within an EXECUTE. False for
   * Open Baton's EMS, and for an agent whose hello this client has not seen (e.g. after a VNFM restart): send it one
   * command per file and per dependency.
   */
  acceptsBundles(hostname: string): boolean {
    return this.bundling.has(hostname);
  }

  /**
   * True when `hostname`'s agent said `bundles: 'v2'` in its hello (current vnfkit agents): package files may
   * travel within an EXECUTE ({@link execute} `files`), saved before its script runs.
   */
  acceptsFilesWithExecute(hostname: string): boolean {
    return this.filesWithExecute.has(hostname);
  }

  /** True once `hostname`'s agent said hello. */
  isRegistered(hostname: string): boolean {
    return this.registered.has(hostname);
  }

  /** Waits for the agent of `hostname` (exact match; a hello that came earlier counts). @throws EmsTimeoutError */
  async waitForAgent(hostname: string, timeoutMs = this.options.helloTimeoutMs ?? 500_000): Promise<void> {
    if (this.registered.has(hostname)) return;
    await new Promise<void>((resolve, reject) => {
      const waiters = this.waiters.get(hostname) ?? new Set<() => void>();
      this.waiters.set(hostname, waiters);
      const done = (): void => {
        clearTimeout(timer);
        stopWatch();
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(done);
        stopWatch();
        reject(new EmsTimeoutError(hostname, timeoutMs, this.options.brokerAddress ?? 'the broker'));
      }, timeoutMs);
      waiters.add(done);
      const stopWatch = this.watchForSilentAgent(hostname);
    });
  }

  /**
   * Looks at `vnfm.<hostname>.actions` while a hello is awaited: consumed for `helloFallbackMs` without a hello, the
   * agent is registered as one without extensions (see {@link EmsClientOptions.helloFallbackMs}). Returns the stop.
   */
  private watchForSilentAgent(hostname: string): () => void {
    const fallbackMs = this.options.helloFallbackMs ?? 5_000;
    if (!(fallbackMs > 0) || !Number.isFinite(fallbackMs) || this.options.signingKey !== undefined) return () => undefined;
    const queue = emsActionsQueue(hostname);
    // While the VM boots (minutes, for thousands of VMs at once) the look grows rarer, up to every 10 s; once a
    // consumer is seen it is checked every `base` until the fallback time has passed.
    const base = Math.max(100, Math.min(1_000, Math.floor(fallbackMs / 4)));
    let idle = 0;
    let consumedSince: number | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async (): Promise<void> => {
      const state = await this.options.transport.inspectQueue(queue).catch(() => undefined);
      if (stopped || this.registered.has(hostname)) return;
      if (state !== undefined && state.consumers > 0) {
        consumedSince ??= Date.now();
        if (Date.now() - consumedSince >= fallbackMs) {
          this.log.warn(
            { hostname, queue, consumedForMs: Date.now() - consumedSince },
            'the agent consumes its queue but its hello never came (lost while the register queue was gone?); taking it as registered, without vnfkit extensions',
          );
          this.register(hostname, undefined);
          this.wake(hostname);
          return;
        }
        idle = 0;
      } else {
        consumedSince = undefined;
        idle += 1;
      }
      timer = setTimeout(() => void poll(), Math.min(10_000, base * 2 ** Math.min(idle, 10)));
    };
    timer = setTimeout(() => void poll(), base);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** Registers `hostname` with the vnfkit extensions its hello offers; none without a hello (it was lost). */
  private register(hostname: string, hello: EmsHello | undefined): void {
    this.registered.add(hostname);
    const offers: [Set<string>, boolean][] = [
      [this.deduplicating, hello?.deduplicates === DEDUPLICATES_BY_CORRELATION_ID],
      [this.verifying, hello?.verifies === VERIFIES_SIGNATURE_V3],
      [this.bundling, hello?.bundles === BUNDLES_V1 || hello?.bundles === BUNDLES_V2],
      [this.filesWithExecute, hello?.bundles === BUNDLES_V2],
    ];
    for (const [hosts, offered] of offers) {
      if (offered) hosts.add(hostname);
      else hosts.delete(hostname);
    }
  }

  /** The agent of `hostname` is there: its absence watch restarts, and whoever waited for it goes on. */
  private wake(hostname: string): void {
    this.present(hostname);
    for (const w of this.waiters.get(hostname) ?? []) w();
    this.waiters.delete(hostname);
  }

  /** Forgets an agent (its VM is gone), and its pinned identity: a new VM of that name enrols afresh. */
  forget(hostname: string): void {
    this.registered.delete(hostname);
    this.deduplicating.delete(hostname);
    this.verifying.delete(hostname);
    this.bundling.delete(hostname);
    this.filesWithExecute.delete(hostname);
    this.offered.delete(hostname);
    this.unverifiable.delete(hostname);
    this.options.identity?.pins
      .forget([hostname])
      .catch((error: unknown) => this.log.error({ hostname, err: toError(error).message }, 'cannot forget the pinned identity of a host'));
  }

  /** The host key `deriveAgentKey(its signing key, hostname)`; undefined without signing or when no key is known for it. */
  private hostKey(hostname: string): string | undefined {
    const { signingKey } = this.options;
    const key = typeof signingKey === 'function' ? signingKey(hostname) : signingKey;
    return key === undefined ? undefined : deriveAgentKey(key, hostname);
  }

  /** The VM key commands to `hostname` are signed with and its replies checked against; undefined without signing. */
  private async agentKey(hostname: string): Promise<string | undefined> {
    const { signingKey, identity } = this.options;
    if (signingKey === undefined) return undefined;
    const hostKey = this.hostKey(hostname);
    if (hostKey === undefined)
      throw new EmsUntrustedError(
        hostname,
        'no signing key is known for this host (it is no VM of a VNFR this VNFM manages); nothing was sent',
      );
    if (this.registered.has(hostname) && !this.verifying.has(hostname)) {
      // Its hello says it runs unsigned commands: anyone on the broker could drive it, so it is not driven from here.
      // (An agent whose hello this client has not seen — e.g. after a VNFM restart — is judged by its signed reply.)
      throw new EmsUntrustedError(
        hostname,
        `its agent does not verify signed commands (its hello has no "verifies":"${VERIFIES_SIGNATURE_V3}"): give it the signing key; nothing was sent`,
      );
    }
    if (identity === undefined) return hostKey;
    const publicKey = await this.pinnedIdentity(hostname, hostKey, identity.pins);
    return deriveVmKey({ privateKey: identity.keyPair.privateKey, peerPublicKey: publicKey, hostKey, hostname });
  }

  /** The identity pinned for a host: pinned now (first use) from its hello, or earlier. @throws EmsUntrustedError */
  private async pinnedIdentity(hostname: string, hostKey: string, pins: IdentityPins): Promise<string> {
    // Only keys MAC'd with this host's key count: nobody outside its VNFR can present one.
    const presented = [...(this.offered.get(hostname) ?? [])];
    const offered = presented
      .filter(([publicKey, mac]) => verifyIdentityMac(hostKey, { hostname, publicKey, mac }))
      .map(([publicKey]) => publicKey);
    // Pinned per host and host key: a VM of a later VNFR that reuses the hostname has another host key, and enrols afresh.
    const pin = `${hostname}#${createHash('sha256').update(hostKey).digest('hex').slice(0, 16)}`;
    let pinned = pins.get(pin);
    if (pinned === undefined && offered.length === 1) {
      pinned = await pins.pin(pin, offered[0] as string);
      this.log.info({ hostname, publicKey: pinned }, 'VM identity pinned at first use; its commands and replies use its own key');
    }
    if (pinned === undefined) {
      const why =
        offered.length > 1
          ? `${offered.length} different identities were presented for this host before one was pinned (another VM of its VNFR may be impersonating it)`
          : presented.length > 0 || this.unverifiable.has(hostname)
            ? "the identity its hello presented is not MAC'd with its host key (its agent holds another signing key, or it is no VM of this VNFR)"
            : this.registered.has(hostname)
              ? 'its agent presented no identity in its hello (give it vnfm_public_key — user-data VNFM_PUBLIC_KEY — with its signing key)'
              : 'no identity of its agent is known here (it has not said hello to this VNFM)';
      throw new EmsUntrustedError(hostname, `${why}; nothing was sent`);
    }
    const others = offered.filter((publicKey) => publicKey !== pinned);
    if (others.length > 0) {
      this.log.error(
        { hostname, pinned, presented: others },
        'identity conflict: a hello for this host presented a key other than its pinned one',
      );
      throw new EmsUntrustedError(
        hostname,
        'a hello for this host presented an identity other than the one pinned at its first use (a VM impersonating it, or its VM was rebuilt: forget the host to enrol it afresh); nothing was sent',
      );
    }
    return pinned;
  }

  /** Sends one command and returns the reply; non-zero status → {@link EmsCommandError}. */
  async send(hostname: string, command: EmsCommand, options: { timeoutMs?: number } = {}): Promise<EmsReply> {
    const encoded = encodeMessage(command);
    // One id for the command's whole life: a signature binds it, and a repeat must carry the same one. Within an
    // NFVO command's handling the id is derived from it, so a replica that runs that command again repeats it.
    const correlationId = nextOperationCorrelationId(hostname) ?? randomUUID();
    const key = await this.agentKey(hostname);
    const queue = emsActionsQueue(hostname);
    const signedAt = Date.now();
    // Signed for each publish: the signature binds the reply_to the command goes out with.
    const headersForReplyTo =
      key === undefined
        ? undefined
        : (replyTo: string) => ({
            [SIGNATURE_HEADER]: signCommand(key, { body: encoded.body, correlationId, routingKey: queue, replyTo, signedAt }),
          });
    const script: string | undefined =
      command.action === 'EXECUTE' ? command.payload.split(/\s+/)[0] : 'name' in command ? String(command.name) : undefined;
    const watched = this.watch(hostname, command.action, script);
    let reply: IncomingMessage;
    try {
      reply = await this.request(hostname, encoded.body, {
        correlationId,
        timeoutMs: options.timeoutMs ?? this.options.commandTimeoutMs ?? 1_000_000,
        waitedFor: `the EMS of ${hostname} to answer ${command.action}${script ? ` ${script}` : ''}`,
        // An agent's actions queue is auto-delete by default: while the agent reconnects it does not exist
        // for a moment, and a command published then would be dropped silently.
        retryUnroutable: true,
        ...(headersForReplyTo ? { headersForReplyTo } : {}),
        ...(watched ? { signal: watched.controller.signal } : {}),
      });
    } catch (error) {
      const reason: unknown = watched?.controller.signal.reason;
      if (reason instanceof EmsAgentGoneError) throw reason;
      throw error;
    } finally {
      if (watched) this.unwatch(hostname, watched);
    }
    if (key !== undefined) {
      const check = verifyReplySignature(key, {
        body: reply.body,
        correlationId,
        hostname,
        signature: headerText(reply.properties.headers?.[REPLY_SIGNATURE_HEADER]),
      });
      if (!check.ok) {
        this.log.warn({ hostname, command: command.action, reason: check.reason }, 'reply refused: not signed by the agent of this host');
        throw new EmsUntrustedError(
          hostname,
          `${command.action}${script ? ` ${script}` : ''}: reply refused: ${check.reason}; its outcome is unknown`,
        );
      }
    }
    const decoded = decodeEmsReply(reply.body);
    if (decoded.status !== 0) {
      throw new EmsCommandError({
        hostname,
        command: command.action,
        ...(script ? { script } : {}),
        status: decoded.status,
        stderr: decoded.err,
        stdout: decoded.output,
      });
    }
    return decoded;
  }

  private get absenceTimeoutMs(): number {
    return this.options.agentAbsenceTimeoutMs ?? 20_000;
  }

  /** Registers a command with the absence watch of its host (started on the first); undefined when the watch is off. */
  private watch(hostname: string, command: string, script: string | undefined): WatchedCommand | undefined {
    if (!(this.absenceTimeoutMs > 0) || !Number.isFinite(this.absenceTimeoutMs)) return undefined;
    const watched: WatchedCommand = { controller: new AbortController(), command, script };
    let watch = this.watches.get(hostname);
    if (watch === undefined) {
      watch = { commands: new Set(), timer: undefined, absentSince: undefined, seen: undefined };
      this.watches.set(hostname, watch);
      this.schedule(hostname, watch);
    }
    watch.commands.add(watched);
    return watched;
  }

  /** A command is settled: the watch of its host stops once no command waits. */
  private unwatch(hostname: string, watched: WatchedCommand): void {
    const watch = this.watches.get(hostname);
    if (watch === undefined) return;
    watch.commands.delete(watched);
    if (watch.commands.size > 0) return;
    clearTimeout(watch.timer);
    this.watches.delete(hostname);
  }

  /** The agent of `hostname` is there (it said hello): its absence, if one was seen, is over. */
  private present(hostname: string): void {
    const watch = this.watches.get(hostname);
    if (watch !== undefined) watch.absentSince = undefined;
  }

  private schedule(hostname: string, watch: AgentWatch): void {
    const interval = this.options.agentPollIntervalMs ?? Math.min(5_000, Math.max(250, Math.floor(this.absenceTimeoutMs / 4)));
    watch.timer = setTimeout(() => void this.poll(hostname, watch), interval);
    watch.timer.unref?.();
  }

  /** One look at the agent's actions queue (a passive declare); fails the waiting commands once it was absent long enough. */
  private async poll(hostname: string, watch: AgentWatch): Promise<void> {
    const queue = emsActionsQueue(hostname);
    let state: { messages: number; consumers: number } | undefined;
    try {
      state = await this.options.transport.inspectQueue(queue);
    } catch (error) {
      // Not known (e.g. this client's own connection is down): no evidence either way.
      this.log.debug({ hostname, err: toError(error).message }, 'cannot look at the actions queue of an agent');
      watch.absentSince = undefined;
      if (this.watches.get(hostname) === watch) this.schedule(hostname, watch);
      return;
    }
    if (this.watches.get(hostname) !== watch) return; // nothing waits any more
    const now = Date.now();
    if (state !== undefined && state.consumers > 0) {
      if (watch.absentSince !== undefined)
        this.log.info({ hostname, absentMs: now - watch.absentSince }, 'agent is back on its actions queue');
      watch.absentSince = undefined;
    } else {
      watch.seen = state === undefined ? 'no queue' : 'no consumer';
      if (watch.absentSince === undefined) {
        watch.absentSince = now;
        this.log.info({ hostname, queue, seen: watch.seen, boundMs: this.absenceTimeoutMs }, 'agent absent while commands wait for it');
      }
      const absentMs = now - watch.absentSince;
      if (absentMs >= this.absenceTimeoutMs) {
        this.log.warn(
          { hostname, queue, seen: watch.seen, absentMs, commands: watch.commands.size },
          'agent gone: failing the commands that wait for it',
        );
        clearTimeout(watch.timer);
        this.watches.delete(hostname);
        for (const { controller, command, script } of watch.commands) {
          controller.abort(
            new EmsAgentGoneError({
              hostname,
              command,
              ...(script ? { script } : {}),
              absentMs,
              boundMs: this.absenceTimeoutMs,
              seen: watch.seen,
            }),
          );
        }
        return;
      }
    }
    this.schedule(hostname, watch);
  }

  /** One command's round trip; to a deduplicating agent, sent again (same correlation id) when it may have been lost. */
  private async request(hostname: string, body: Uint8Array, options: RequestOptions & { correlationId: string }): Promise<IncomingMessage> {
    const { transport } = this.options;
    const queue = emsActionsQueue(hostname);
    if (!this.deduplicating.has(hostname)) return transport.request(EXCHANGE, queue, body, options);
    const { correlationId } = options;
    let waiting = this.waitingCommands.get(hostname);
    if (waiting === undefined) this.waitingCommands.set(hostname, (waiting = new Set()));
    waiting.add(correlationId);
    try {
      return await transport.request(EXCHANGE, queue, body, {
        ...options,
        // The promise the agent's hello asked for: this correlation id is unique, a repeat is the same command.
        headers: { ...options.headers, [DEDUP_HEADER]: DEDUPLICATES_BY_CORRELATION_ID },
        // With a reply channel that dies with the connection (direct reply-to), the transport sends it again
        // itself once reconnected instead of failing it.
        idempotent: true,
      });
    } finally {
      waiting.delete(correlationId);
      if (waiting.size === 0 && this.waitingCommands.get(hostname) === waiting) this.waitingCommands.delete(hostname);
    }
  }

  /** SAVE_SCRIPTS of one file. */
  saveScript(hostname: string, file: { name: string; content: Uint8Array | string }): Promise<EmsReply> {
    return this.send(hostname, {
      action: 'SAVE_SCRIPTS',
      name: file.name,
      payload: toBase64(file.content),
      'script-path': this.scriptPath,
    });
  }

  /**
   * SAVE_SCRIPTS of several files: bundled commands (of at most `BUNDLE_MAX_PAYLOAD_BYTES` each) when the agent
   * {@link acceptsBundles}, else one command per file; all sent at once, in order; once all have answered the first
   * failure in file order is thrown, else the last reply (the directory listing) is returned.
   */
  async saveScripts(hostname: string, files: readonly ScriptFile[]): Promise<EmsReply> {
    if (files.length === 0) throw new RangeError('saveScripts: no files');
    const bundles = this.acceptsBundles(hostname) ? bundleFiles(files) : files.map((f) => [f]);
    const settled = await Promise.allSettled(
      bundles.map((bundle) => {
        const [first, ...more] = bundle as [ScriptFile, ...ScriptFile[]]; // bundleFiles makes no empty bundle
        if (more.length === 0) return this.saveScript(hostname, first);
        return this.send(hostname, {
          action: 'SAVE_SCRIPTS',
          name: first.name,
          payload: toBase64(first.content),
          files: wireFiles(more),
          'script-path': this.scriptPath,
        });
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return (settled.at(-1) as PromiseFulfilledResult<EmsReply>).value;
  }

  /** CLONE_SCRIPTS from a git URL. */
  cloneScripts(hostname: string, url: string): Promise<EmsReply> {
    return this.send(hostname, { action: 'CLONE_SCRIPTS', payload: url, 'script-path': this.scriptPath });
  }

  /**
   * EXECUTE a script (`payload` = name + arguments) with an environment (omit `env` for ad-hoc runs). With `files`,
   * they are saved first: within the EXECUTE when the agent {@link acceptsFilesWithExecute} and they fit one bundle,
   * else by {@link saveScripts} just before. Then a `dependency`: within the EXECUTE when the agent
   * {@link acceptsBundles}, else by a SAVE_VNFR_DEPENDENCY sent just before. Either way a failed save is thrown and
   * the script does not run; one within the EXECUTE as the script's own failure would be (status 1, `err` "EXECUTE of
   * … not run: …").
   */
  async execute(
    hostname: string,
    input: {
      payload: string;
      env?: Record<string, string>;
      timeoutMs?: number;
      dependency?: VNFRecordDependency;
      files?: readonly ScriptFile[];
    },
  ): Promise<EmsReply> {
    const timeout = input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {};
    let files: { name: string; payload: string }[] | undefined;
    if (input.files !== undefined && input.files.length > 0) {
      if (this.acceptsFilesWithExecute(hostname) && bundleFiles(input.files).length === 1) files = wireFiles(input.files);
      else await this.saveScripts(hostname, input.files);
    }
    let dependency: string | undefined;
    if (input.dependency !== undefined) {
      if (this.acceptsBundles(hostname)) dependency = dependencyPayload(input.dependency);
      else await this.saveVnfrDependency(hostname, input.dependency);
    }
    const command: EmsCommand = {
      action: 'EXECUTE',
      payload: input.payload,
      ...(input.env ? { env: input.env } : { 'script-path': this.scriptPath }),
      ...(dependency !== undefined ? { dependency } : {}),
      ...(files !== undefined ? { files } : {}),
    };
    return this.send(hostname, command, timeout);
  }

  /** SCRIPTS_UPDATE of one file. */
  updateScript(hostname: string, file: { name: string; content: Uint8Array | string }): Promise<EmsReply> {
    return this.send(hostname, {
      action: 'SCRIPTS_UPDATE',
      name: file.name,
      payload: toBase64(file.content),
      'script-path': this.scriptPath,
    });
  }

  /** SAVE_VNFR_DEPENDENCY: the dependency as a JSON string. */
  saveVnfrDependency(hostname: string, dependency: VNFRecordDependency): Promise<EmsReply> {
    return this.send(hostname, { action: 'SAVE_VNFR_DEPENDENCY', payload: dependencyPayload(dependency), 'script-path': this.scriptPath });
  }

  private get scriptPath(): string {
    return this.options.scriptPath ?? DEFAULT_SCRIPTS_PATH;
  }
}

/** A script file to save on an agent. */
type ScriptFile = { name: string; content: Uint8Array | string };

/** A dependency as the agents get it (SAVE_VNFR_DEPENDENCY payload, EXECUTE `dependency`): indented JSON. */
function dependencyPayload(dependency: VNFRecordDependency): string {
  return JSON.stringify(dependency, null, 2);
}
