import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { TransportError } from '@vnfkit/protocol';
import { PendingRequests } from '../internal/pending-requests.js';
import type {
  ConsumeOptions, Consumer, ExchangeOptions, IncomingMessage, MessageHandler, MessageProperties, QueueOptions,
  RequestOptions, Transport, TransportEvent,
} from './transport.js';

interface Delivery {
  message: IncomingMessage;
  attempts: number;
}

interface MemoryConsumer {
  transport: MemoryTransport;
  handler: MessageHandler;
  prefetch: number;
  inFlight: number;
  cancelled: boolean;
  idle: Set<() => void>;
}

interface MemoryQueue {
  name: string;
  options: QueueOptions;
  owner: MemoryTransport | undefined;
  messages: Delivery[];
  consumers: MemoryConsumer[];
  next: number;
}

/** Matches an AMQP topic binding key (`*` = one word, `#` = zero or more words). */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  const b = bindingKey.split('.');
  const r = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === b.length) return j === r.length;
    if (b[i] === '#') return match(i + 1, j) || (j < r.length && match(i, j + 1));
    return j < r.length && (b[i] === '*' || b[i] === r[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/**
 * An in-process AMQP broker: default exchange routing by queue name, topic exchanges with bindings,
 * prefetch, ack/nack, redelivery. Several {@link MemoryTransport}s on one broker behave like several processes.
 */
export class MemoryBroker {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly exchanges = new Map<string, { type: string; bindings: { queue: string; key: string }[] }>();
  private readonly transports = new Set<MemoryTransport>();

  /** @internal */
  attach(transport: MemoryTransport): void {
    this.transports.add(transport);
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    this.transports.delete(transport);
    for (const queue of [...this.queues.values()]) {
      if (queue.owner === transport) this.queues.delete(queue.name);
    }
  }

  /** @internal */
  declareExchange(name: string, type: string): void {
    const existing = this.exchanges.get(name);
    if (existing && existing.type !== type) throw new TransportError(`PRECONDITION_FAILED: exchange ${name} is ${existing.type}, not ${type}`);
    if (!existing) this.exchanges.set(name, { type, bindings: [] });
  }

  /** @internal */
  declareQueue(name: string, options: QueueOptions, owner: MemoryTransport): string {
    const queueName = name === '' ? `amq.gen-${randomUUID()}` : name;
    if (!this.queues.has(queueName)) {
      this.queues.set(queueName, {
        name: queueName, options, owner: options.exclusive ? owner : undefined, messages: [], consumers: [], next: 0,
      });
    }
    return queueName;
  }

  /** @internal */
  bindQueue(queue: string, exchange: string, key: string): void {
    const ex = this.exchanges.get(exchange);
    if (!ex) throw new TransportError(`NOT_FOUND: no exchange '${exchange}'`);
    if (!this.queues.has(queue)) throw new TransportError(`NOT_FOUND: no queue '${queue}'`);
    if (!ex.bindings.some((b) => b.queue === queue && b.key === key)) ex.bindings.push({ queue, key });
  }

  /** @internal */
  deleteQueue(name: string): void {
    this.queues.delete(name);
    for (const ex of this.exchanges.values()) ex.bindings = ex.bindings.filter((b) => b.queue !== name);
  }

  /** True while a queue of that name exists. */
  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  /** Number of messages waiting (not delivered) in a queue. */
  depth(name: string): number {
    return this.queues.get(name)?.messages.length ?? 0;
  }

  /** @internal Routes one message; unroutable messages are dropped, as on a real broker. */
  route(message: IncomingMessage): void {
    const targets = new Set<string>();
    if (message.exchange === '') {
      targets.add(message.routingKey);
    } else {
      const ex = this.exchanges.get(message.exchange);
      if (!ex) throw new TransportError(`NOT_FOUND: no exchange '${message.exchange}'`);
      for (const b of ex.bindings) {
        const hit = ex.type === 'topic' ? topicMatches(b.key, message.routingKey) : ex.type === 'fanout' || b.key === message.routingKey;
        if (hit) targets.add(b.queue);
      }
    }
    for (const name of targets) {
      const queue = this.queues.get(name);
      if (!queue) continue;
      queue.messages.push({ message: { ...message, properties: { ...message.properties } }, attempts: 0 });
      this.pump(queue);
    }
  }

  /** Test fault injection: puts a raw body straight into a queue, as if a peer had published it. */
  inject(queue: string, body: Uint8Array | string, properties: MessageProperties = {}): void {
    this.route({ body: Buffer.from(body), properties, exchange: '', routingKey: queue, redelivered: false });
  }

  /** Test fault injection: every transport loses its connection and reconnects; unacked messages are redelivered. */
  dropConnections(): void {
    for (const t of this.transports) t.simulateDrop();
  }

  /** @internal */
  addConsumer(queueName: string, consumer: MemoryConsumer): void {
    const queue = this.queues.get(queueName);
    if (!queue) throw new TransportError(`NOT_FOUND: no queue '${queueName}'`);
    queue.consumers.push(consumer);
    this.pump(queue);
  }

  /** @internal */
  removeConsumer(queueName: string, consumer: MemoryConsumer): void {
    const queue = this.queues.get(queueName);
    if (!queue) return;
    queue.consumers = queue.consumers.filter((c) => c !== consumer);
    if (queue.consumers.length === 0 && queue.options.autoDelete) this.deleteQueue(queueName);
  }

  /** @internal */
  requeue(queueName: string, delivery: Delivery): void {
    const queue = this.queues.get(queueName);
    if (!queue) return;
    queue.messages.unshift({ message: { ...delivery.message, redelivered: true }, attempts: delivery.attempts });
    this.pump(queue);
  }

  private pump(queue: MemoryQueue): void {
    // Deliver asynchronously so publishers never run consumer code on their own stack.
    queueMicrotask(() => {
      while (queue.messages.length > 0) {
        const ready = queue.consumers.filter((c) => !c.cancelled && c.inFlight < c.prefetch && c.transport.connected);
        if (ready.length === 0) return;
        const consumer = ready[queue.next++ % ready.length] as MemoryConsumer;
        const delivery = queue.messages.shift() as Delivery;
        delivery.attempts += 1;
        consumer.transport.deliver(queue.name, consumer, delivery);
      }
    });
  }

  /** @internal */
  pumpAll(): void {
    for (const q of this.queues.values()) this.pump(q);
  }
}

/** A {@link Transport} on a {@link MemoryBroker}: same semantics as `amqp`, no sockets. */
export class MemoryTransport implements Transport {
  /** @internal */
  connected = true;
  private closed = false;
  private readonly events = new EventEmitter();
  private readonly consumers = new Map<MemoryConsumer, string>();
  private readonly unacked = new Map<Delivery, { queue: string; consumer: MemoryConsumer }>();
  private replyQueue: string | undefined;
  private readonly pending = new PendingRequests();

  constructor(readonly broker: MemoryBroker) {
    broker.attach(this);
  }

  async declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', _options?: ExchangeOptions): Promise<void> {
    this.assertOpen();
    this.broker.declareExchange(name, type);
  }

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    this.assertOpen();
    return this.broker.declareQueue(name, options, this);
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.assertOpen();
    this.broker.bindQueue(queue, exchange, routingKey);
  }

  async deleteQueue(name: string): Promise<void> {
    this.assertOpen();
    this.broker.deleteQueue(name);
  }

  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    this.assertOpen();
    this.broker.route({ body: Buffer.from(body), properties, exchange, routingKey, redelivered: false });
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    this.assertOpen();
    const prefetch = Math.max(1, Math.min(options.concurrency ?? options.prefetch ?? 1, options.prefetch ?? Number.MAX_SAFE_INTEGER));
    const consumer: MemoryConsumer = { transport: this, handler, prefetch, inFlight: 0, cancelled: false, idle: new Set() };
    this.consumers.set(consumer, queue);
    this.broker.addConsumer(queue, consumer);
    return {
      queue,
      cancel: async () => {
        await this.cancelConsumer(consumer);
      },
    };
  }

  async request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage> {
    this.assertOpen();
    const replyTo = await this.ensureReplyQueue();
    const correlationId = options.correlationId ?? randomUUID();
    const properties: MessageProperties = { contentType: 'text/plain', correlationId, replyTo, ...(options.headers ? { headers: options.headers } : {}) };
    return this.pending.start(correlationId, {
      options: { ...options, waitedFor: options.waitedFor ?? `reply from ${routingKey}` },
      send: () => this.broker.route({ body: Buffer.from(body), exchange, routingKey, redelivered: false, properties }),
    });
  }

  async reply(request: IncomingMessage, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    const replyTo = request.properties.replyTo;
    if (!replyTo) throw new TransportError('cannot reply: the request has no reply_to');
    const correlationId = request.properties.correlationId;
    await this.publish('', replyTo, body, { contentType: 'text/plain', ...(correlationId ? { correlationId } : {}), ...properties });
  }

  on(event: TransportEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: TransportEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers.keys()].map((c) => this.cancelConsumer(c)));
    this.closed = true;
    this.connected = false;
    this.pending.failAll('transport closed');
    this.broker.detach(this);
  }

  /** @internal Drop + immediate reconnect, as seen by the application. */
  simulateDrop(): void {
    if (this.closed) return;
    this.connected = false;
    this.events.emit('disconnected');
    // The old channel is gone: its deliveries no longer count against prefetch and go back to the queue.
    for (const [delivery, { queue, consumer }] of this.unacked) {
      consumer.inFlight -= 1;
      this.broker.requeue(queue, delivery);
    }
    this.unacked.clear();
    this.pending.linkLost();
    this.connected = true;
    this.events.emit('reconnected');
    void this.pending.resendAll();
    this.broker.pumpAll();
  }

  /** @internal */
  deliver(queue: string, consumer: MemoryConsumer, delivery: Delivery): void {
    consumer.inFlight += 1;
    this.unacked.set(delivery, { queue, consumer });
    const settle = (): void => {
      // A delivery requeued by a simulated drop is no longer ours to ack.
      if (!this.unacked.delete(delivery)) return;
      consumer.inFlight -= 1;
      if (consumer.inFlight === 0) for (const idle of consumer.idle) idle();
      this.broker.pumpAll();
    };
    consumer.handler(delivery.message).then(settle, settle);
  }

  private async cancelConsumer(consumer: MemoryConsumer): Promise<void> {
    const queue = this.consumers.get(consumer);
    if (queue === undefined) return;
    consumer.cancelled = true;
    this.consumers.delete(consumer);
    this.broker.removeConsumer(queue, consumer);
    if (consumer.inFlight > 0) await new Promise<void>((resolve) => consumer.idle.add(resolve));
  }

  private async ensureReplyQueue(): Promise<string> {
    if (this.replyQueue) return this.replyQueue;
    const name = await this.declareQueue(`amq.rabbitmq.reply-to.${randomUUID()}`, { exclusive: true, autoDelete: true });
    this.replyQueue = name;
    await this.consume(name, async (message) => {
      this.pending.settle(message.properties.correlationId, message);
    }, { prefetch: 1000 });
    return name;
  }

  private assertOpen(): void {
    if (this.closed) throw new TransportError('transport is closed');
  }
}

/** Creates a transport on `broker` (a new private broker when omitted). */
export function createMemoryTransport(broker: MemoryBroker = new MemoryBroker()): MemoryTransport {
  return new MemoryTransport(broker);
}
