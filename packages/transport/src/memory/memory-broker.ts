import { randomBytes } from 'node:crypto';
import { TransportError } from '@vnfkit/protocol';
import type { ExchangeOptions, IncomingMessage, MessageProperties, QueueOptions } from '../transport.js';

/** Prefix of RabbitMQ direct reply-to addresses; replies to them skip queues entirely. */
const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.';

/** AMQP reply codes the memory broker reproduces, as RabbitMQ spells them in error texts. */
type BrokerErrorCode = 'NOT_FOUND' | 'ACCESS_REFUSED' | 'PRECONDITION_FAILED' | 'RESOURCE_LOCKED';

function brokerError(code: BrokerErrorCode, text: string): TransportError {
  return new TransportError(`${code} - ${text}`);
}

/** Matches an AMQP topic binding key (`*` = exactly one word, `#` = zero or more words). */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  const b = bindingKey.split('.');
  const r = routingKey.split('.');
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = i * (r.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === b.length) result = j === r.length;
    else if (b[i] === '#') result = match(i + 1, j) || (j < r.length && match(i, j + 1));
    else result = j < r.length && (b[i] === '*' || b[i] === r[j]) && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/**
 * The broker's view of a connected client (a {@link MemoryTransport}).
 * @internal
 */
export interface BrokerClient {
  /** Unique per client; used for exclusive-queue ownership. */
  readonly clientId: string;
  /** The broker dropped this client's connection; it tears down local state and reconnects after `downMs`. */
  connectionDropped(downMs: number): Promise<void>;
}

interface StoredMessage {
  /** Arrival order in its queue; a requeued message goes back to its original position, as in RabbitMQ. */
  readonly seq: number;
  readonly message: IncomingMessage;
  readonly redelivered: boolean;
  readonly expiresAt: number | undefined;
}

interface NormalizedQueueOptions {
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  expiresMs: number | undefined;
}

interface BrokerQueue {
  readonly name: string;
  readonly options: NormalizedQueueOptions;
  readonly owner: BrokerClient | undefined;
  ready: StoredMessage[];
  consumers: BrokerConsumer[];
  next: number;
  hadConsumer: boolean;
  pumpScheduled: boolean;
  expiryTimer: NodeJS.Timeout | undefined;
}

interface BrokerExchange {
  readonly type: 'topic' | 'direct' | 'fanout';
  readonly durable: boolean;
  readonly autoDelete: boolean;
  bindings: { queue: string; routingKey: string }[];
}

/**
 * One unacknowledged delivery.
 * @internal
 */
export interface BrokerDelivery {
  readonly message: IncomingMessage;
  readonly consumer: BrokerConsumer;
  readonly stored: StoredMessage;
  /** True once acked, rejected, or requeued because the consumer's connection dropped. */
  settled: boolean;
}

/**
 * A consumer registered on a queue.
 * @internal
 */
export interface BrokerConsumer {
  readonly client: BrokerClient;
  readonly queue: string;
  readonly prefetch: number;
  readonly exclusive: boolean;
  readonly unacked: Set<BrokerDelivery>;
  active: boolean;
  readonly onDelivery: (delivery: BrokerDelivery) => void;
  /** The broker cancelled the consumer (its queue was deleted). */
  readonly onCancelled: () => void;
}

function normalize(options: QueueOptions): NormalizedQueueOptions {
  return {
    durable: options.durable ?? false,
    autoDelete: options.autoDelete ?? false,
    exclusive: options.exclusive ?? false,
    expiresMs: options.expiresMs,
  };
}

/**
 * An in-process AMQP 0-9-1 broker with RabbitMQ's semantics where vnfkit relies on them: the default
 * exchange routes by queue name; topic (`*`, `#`), direct and fanout exchanges route through bindings;
 * direct reply-to; per-consumer prefetch with round-robin dispatch; ack, nack, requeue with
 * `redelivered`; exclusive, auto-delete and `x-expires` queues; per-message TTL; and the channel errors
 * (NOT_FOUND, PRECONDITION_FAILED, RESOURCE_LOCKED, ACCESS_REFUSED) as `TransportError`s. Several
 * {@link MemoryTransport}s on one broker behave like several processes. Fault injection for tests:
 * {@link dropConnections} and {@link inject}.
 *
 * @example
 * const broker = new MemoryBroker();
 * const nfvo = createMemoryTransport(broker);
 * const vnfm = createMemoryTransport(broker);
 * await broker.dropConnections(); // both see 'disconnected' then 'reconnected'
 */
export class MemoryBroker {
  private readonly queues = new Map<string, BrokerQueue>();
  private readonly exchanges = new Map<string, BrokerExchange>();
  private readonly clients = new Set<BrokerClient>();
  private readonly replyTo = new Map<string, { client: BrokerClient; deliver: (message: IncomingMessage) => void }>();
  private seq = 0;

  // ---------------------------------------------------------------- inspection and fault injection (public)

  /** True while a queue of that name exists. */
  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  /** Messages waiting in a queue (not delivered, or requeued); 0 for a missing queue. */
  depth(name: string): number {
    return this.queues.get(name)?.ready.length ?? 0;
  }

  /** Deliveries of a queue not yet acknowledged by their consumers. */
  unackedCount(name: string): number {
    let n = 0;
    for (const c of this.queues.get(name)?.consumers ?? []) n += c.unacked.size;
    return n;
  }

  /** Consumers currently attached to a queue. */
  consumerCount(name: string): number {
    return this.queues.get(name)?.consumers.length ?? 0;
  }

  /** Names of the queues that exist now. */
  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Connected clients (transports). */
  get connectionCount(): number {
    return this.clients.size;
  }

  /**
   * Test fault injection: puts a raw body straight into a queue, as if a peer had published it
   * (malformed bodies, missing `reply_to`, forged headers…). Throws a `TransportError` for a missing queue.
   */
  inject(queue: string, body: Uint8Array | string, properties: MessageProperties = {}): void {
    const q = this.queues.get(queue);
    if (!q) throw brokerError('NOT_FOUND', `no queue '${queue}' in vhost '/'`);
    this.enqueue(q, { body: Buffer.from(body), properties: { ...properties }, exchange: '', routingKey: queue, redelivered: false }, false);
  }

  /**
   * Test fault injection: the broker drops the connections (all, or `only` these transports). Each
   * transport emits `disconnected`, fails (or keeps, if idempotent) its RPCs in flight, loses its
   * exclusive queues and auto-delete queues without other consumers; unacked messages go back to their
   * queues with `redelivered=true`. After `downMs` (default 0) the transports reconnect, restore their
   * topology and consumers and emit `reconnected`; the promise resolves then.
   */
  async dropConnections(options: { downMs?: number; only?: readonly BrokerClient[] } = {}): Promise<void> {
    const targets = [...(options.only ?? this.clients)].filter((c) => this.clients.has(c));
    for (const client of targets) this.disconnect(client);
    await Promise.all(targets.map((client) => client.connectionDropped(options.downMs ?? 0)));
  }

  // ---------------------------------------------------------------- used by MemoryTransport

  /** @internal */
  connect(client: BrokerClient): void {
    this.clients.add(client);
  }

  /**
   * The client's connection is gone (closed or dropped): its consumers go, their unacked deliveries are
   * requeued with `redelivered=true`, its exclusive queues are deleted, and so are auto-delete queues
   * left without consumers.
   * @internal
   */
  disconnect(client: BrokerClient): void {
    this.clients.delete(client);
    for (const [address, entry] of this.replyTo) if (entry.client === client) this.replyTo.delete(address);
    for (const queue of [...this.queues.values()]) {
      const mine = queue.consumers.filter((c) => c.client === client);
      for (const consumer of mine) this.removeConsumer(queue, consumer, true);
      if (queue.owner === client) this.deleteQueue(queue.name);
    }
  }

  /** @internal */
  declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): void {
    if (name === '' || name.startsWith('amq.'))
      throw brokerError('ACCESS_REFUSED', `exchange name '${name}' contains reserved prefix 'amq.*'`);
    const durable = options.durable ?? true;
    const autoDelete = options.autoDelete ?? false;
    const existing = this.exchanges.get(name);
    if (!existing) {
      this.exchanges.set(name, { type, durable, autoDelete, bindings: [] });
      return;
    }
    if (existing.type !== type)
      throw brokerError(
        'PRECONDITION_FAILED',
        `inequivalent arg 'type' for exchange '${name}' in vhost '/': received '${type}' but current is '${existing.type}'`,
      );
    if (existing.durable !== durable)
      throw brokerError(
        'PRECONDITION_FAILED',
        `inequivalent arg 'durable' for exchange '${name}' in vhost '/': received '${String(durable)}' but current is '${String(existing.durable)}'`,
      );
    if (existing.autoDelete !== autoDelete)
      throw brokerError(
        'PRECONDITION_FAILED',
        `inequivalent arg 'auto_delete' for exchange '${name}' in vhost '/': received '${String(autoDelete)}' but current is '${String(existing.autoDelete)}'`,
      );
  }

  /** @internal Declares a queue (`''` = server-named) and returns its name. */
  declareQueue(name: string, options: QueueOptions, client: BrokerClient): string {
    if (name.startsWith('amq.')) throw brokerError('ACCESS_REFUSED', `queue name '${name}' contains reserved prefix 'amq.*'`);
    const wanted = normalize(options);
    const queueName = name === '' ? `amq.gen-${randomBytes(16).toString('base64url')}` : name;
    const existing = this.queues.get(queueName);
    if (existing) {
      this.checkOwner(existing, client);
      if (existing.options.exclusive !== wanted.exclusive) {
        throw brokerError(
          'RESOURCE_LOCKED',
          `cannot obtain exclusive access to locked queue '${queueName}' in vhost '/' (the exclusive property does not match the original declaration)`,
        );
      }
      // RabbitMQ does not compare `durable` for exclusive queues.
      const fields = existing.options.exclusive
        ? (['autoDelete', 'expiresMs'] as const)
        : (['durable', 'autoDelete', 'expiresMs'] as const);
      for (const field of fields) {
        if (existing.options[field] !== wanted[field]) {
          const arg = { durable: 'durable', autoDelete: 'auto_delete', expiresMs: 'x-expires' }[field];
          throw brokerError(
            'PRECONDITION_FAILED',
            `inequivalent arg '${arg}' for queue '${queueName}' in vhost '/': received '${String(wanted[field])}' but current is '${String(existing.options[field])}'`,
          );
        }
      }
      this.armExpiry(existing);
      return queueName;
    }
    const queue: BrokerQueue = {
      name: queueName,
      options: wanted,
      owner: wanted.exclusive ? client : undefined,
      ready: [],
      consumers: [],
      next: 0,
      hadConsumer: false,
      pumpScheduled: false,
      expiryTimer: undefined,
    };
    this.queues.set(queueName, queue);
    this.armExpiry(queue);
    return queueName;
  }

  /** @internal */
  bindQueue(queue: string, exchange: string, routingKey: string, client: BrokerClient): void {
    if (exchange === '') throw brokerError('ACCESS_REFUSED', `operation not permitted on the default exchange`);
    const ex = this.exchanges.get(exchange);
    if (!ex) throw brokerError('NOT_FOUND', `no exchange '${exchange}' in vhost '/'`);
    const q = this.queues.get(queue);
    if (!q) throw brokerError('NOT_FOUND', `no queue '${queue}' in vhost '/'`);
    this.checkOwner(q, client);
    if (!ex.bindings.some((b) => b.queue === queue && b.routingKey === routingKey)) ex.bindings.push({ queue, routingKey });
  }

  /** @internal Deletes a queue (missing queues are fine); its consumers are cancelled. */
  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.queues.delete(name);
    clearTimeout(queue.expiryTimer);
    for (const ex of this.exchanges.values()) ex.bindings = ex.bindings.filter((b) => b.queue !== name);
    for (const consumer of queue.consumers.splice(0)) {
      consumer.active = false;
      for (const d of consumer.unacked) d.settled = true;
      consumer.unacked.clear();
      consumer.onCancelled();
    }
  }

  /**
   * @internal Routes one message; unroutable messages are dropped, as RabbitMQ does without `mandatory`.
   * Returns whether it reached a queue (or a reply-to address): `false` is what `mandatory` would return.
   */
  publish(message: IncomingMessage): boolean {
    if (message.exchange === '') {
      if (message.routingKey.startsWith(REPLY_TO_PREFIX)) {
        // Direct reply-to: straight to the requester, or dropped when it is gone (RabbitMQ does the same).
        const target = this.replyTo.get(message.routingKey);
        if (target) queueMicrotask(() => target.deliver(message));
        return target !== undefined;
      }
      const queue = this.queues.get(message.routingKey);
      if (queue) this.enqueue(queue, message, false);
      return queue !== undefined;
    }
    const ex = this.exchanges.get(message.exchange);
    if (!ex) throw brokerError('NOT_FOUND', `no exchange '${message.exchange}' in vhost '/'`);
    const targets = new Set<string>();
    for (const b of ex.bindings) {
      const hit =
        ex.type === 'fanout' ||
        (ex.type === 'topic' ? topicMatches(b.routingKey, message.routingKey) : b.routingKey === message.routingKey);
      if (hit) targets.add(b.queue);
    }
    let routed = false;
    for (const name of targets) {
      const queue = this.queues.get(name);
      if (queue) this.enqueue(queue, message, false);
      routed ||= queue !== undefined;
    }
    return routed;
  }

  /** @internal Registers a direct reply-to address for a client; returns it. */
  openReplyTo(client: BrokerClient, deliver: (message: IncomingMessage) => void): string {
    const address = `${REPLY_TO_PREFIX}${randomBytes(12).toString('base64url')}`;
    this.replyTo.set(address, { client, deliver });
    return address;
  }

  /** @internal Forgets a direct reply-to address (its request settled). */
  closeReplyTo(address: string): void {
    this.replyTo.delete(address);
  }

  /** @internal */
  consume(
    queueName: string,
    client: BrokerClient,
    input: { prefetch: number; exclusive: boolean; onDelivery: (delivery: BrokerDelivery) => void; onCancelled: () => void },
  ): BrokerConsumer {
    const queue = this.queues.get(queueName);
    if (!queue) throw brokerError('NOT_FOUND', `no queue '${queueName}' in vhost '/'`);
    this.checkOwner(queue, client);
    if (queue.consumers.some((c) => c.exclusive) || (input.exclusive && queue.consumers.length > 0)) {
      throw brokerError('ACCESS_REFUSED', `queue '${queueName}' in vhost '/' in exclusive use`);
    }
    const consumer: BrokerConsumer = {
      client,
      queue: queueName,
      prefetch: input.prefetch,
      exclusive: input.exclusive,
      unacked: new Set(),
      active: true,
      onDelivery: input.onDelivery,
      onCancelled: input.onCancelled,
    };
    queue.consumers.push(consumer);
    queue.hadConsumer = true;
    clearTimeout(queue.expiryTimer);
    this.schedule(queue);
    return consumer;
  }

  /** @internal Stops deliveries to a consumer; its unacked deliveries stay pending until settled. */
  cancel(consumer: BrokerConsumer): void {
    const queue = this.queues.get(consumer.queue);
    if (!queue || !consumer.active) return;
    this.removeConsumer(queue, consumer, false);
  }

  /** @internal Acknowledges (`ack`), rejects (`drop`) or requeues a delivery; a no-op once settled. */
  settle(delivery: BrokerDelivery, outcome: 'ack' | 'drop' | 'requeue'): void {
    if (delivery.settled) return;
    delivery.settled = true;
    delivery.consumer.unacked.delete(delivery);
    const queue = this.queues.get(delivery.consumer.queue);
    if (!queue) return;
    if (outcome === 'requeue') this.requeue(queue, [{ ...delivery.stored, redelivered: true }]);
    this.schedule(queue);
  }

  // ---------------------------------------------------------------- internals

  private checkOwner(queue: BrokerQueue, client: BrokerClient): void {
    if (queue.owner && queue.owner !== client)
      throw brokerError('RESOURCE_LOCKED', `cannot obtain exclusive access to locked queue '${queue.name}' in vhost '/'`);
  }

  private removeConsumer(queue: BrokerQueue, consumer: BrokerConsumer, requeueUnacked: boolean): void {
    consumer.active = false;
    queue.consumers = queue.consumers.filter((c) => c !== consumer);
    if (requeueUnacked) {
      // The channel is gone: its unacked deliveries return to the head of the queue, in order, marked redelivered.
      const back = [...consumer.unacked].map((d) => {
        d.settled = true;
        return { ...d.stored, redelivered: true };
      });
      consumer.unacked.clear();
      this.requeue(queue, back);
    }
    if (queue.consumers.length === 0) {
      if (queue.options.autoDelete && queue.hadConsumer) {
        this.deleteQueue(queue.name);
        return;
      }
      this.armExpiry(queue);
    }
    this.schedule(queue);
  }

  private requeue(queue: BrokerQueue, messages: StoredMessage[]): void {
    for (const message of messages) {
      const at = queue.ready.findIndex((m) => m.seq > message.seq);
      if (at === -1) queue.ready.push(message);
      else queue.ready.splice(at, 0, message);
    }
  }

  private armExpiry(queue: BrokerQueue): void {
    clearTimeout(queue.expiryTimer);
    queue.expiryTimer = undefined;
    const ms = queue.options.expiresMs;
    if (ms === undefined || queue.consumers.length > 0) return;
    queue.expiryTimer = setTimeout(() => {
      if (this.queues.get(queue.name) === queue && queue.consumers.length === 0) this.deleteQueue(queue.name);
    }, ms);
    queue.expiryTimer.unref();
  }

  private enqueue(queue: BrokerQueue, message: IncomingMessage, redelivered: boolean): void {
    const ttl = message.properties.expiration;
    const stored: StoredMessage = {
      seq: ++this.seq,
      message: { ...message, body: Buffer.from(message.body), properties: { ...message.properties } },
      redelivered,
      expiresAt: ttl === undefined ? undefined : Date.now() + ttl,
    };
    queue.ready.push(stored);
    this.schedule(queue);
  }

  private schedule(queue: BrokerQueue): void {
    if (queue.pumpScheduled) return;
    queue.pumpScheduled = true;
    // Deliver asynchronously so that publishers never run consumer code on their own stack.
    queueMicrotask(() => {
      queue.pumpScheduled = false;
      this.pump(queue);
    });
  }

  private pump(queue: BrokerQueue): void {
    while (queue.ready.length > 0 && this.queues.get(queue.name) === queue) {
      const consumer = this.nextConsumer(queue);
      if (!consumer) return;
      const stored = queue.ready.shift() as StoredMessage;
      if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) continue;
      const delivery: BrokerDelivery = {
        message: {
          ...stored.message,
          body: Buffer.from(stored.message.body),
          properties: { ...stored.message.properties },
          redelivered: stored.redelivered,
        },
        consumer,
        stored,
        settled: false,
      };
      consumer.unacked.add(delivery);
      consumer.onDelivery(delivery);
    }
  }

  private nextConsumer(queue: BrokerQueue): BrokerConsumer | undefined {
    const n = queue.consumers.length;
    for (let i = 0; i < n; i++) {
      const consumer = queue.consumers[(queue.next + i) % n] as BrokerConsumer;
      if (consumer.active && consumer.unacked.size < consumer.prefetch) {
        queue.next = (queue.next + i + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }
}
