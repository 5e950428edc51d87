import { EventEmitter } from 'node:events';
import type {
  ConsumeOptions,
  Consumer,
  IncomingMessage,
  MessageHandler,
  MessageProperties,
  QueueOptions,
  TransportEvent,
} from '@vnfkit/transport';
import type { AgentTransport } from '../../src/transport/agent-transport.js';

/** A message the agent published. */
export interface Published {
  exchange: string;
  routingKey: string;
  body: string;
  properties: MessageProperties;
}

/** Outcome of a delivery as the transport saw it. */
export type Settlement = 'ack' | 'nack';

/**
 * A fault-injecting in-memory {@link AgentTransport} for unit tests: records topology and publications,
 * delivers messages (with any `redelivered` flag) to the consumer and reports ack/nack.
 */
export class FakeTransport implements AgentTransport {
  readonly queues = new Map<string, QueueOptions>();
  readonly bindings: { queue: string; exchange: string; routingKey: string }[] = [];
  readonly published: Published[] = [];
  readonly consumeOptions = new Map<string, ConsumeOptions>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly events = new EventEmitter();
  /** Make the next `publish` calls fail (simulates a dead connection). */
  failPublish = false;
  closed = false;

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    this.queues.set(name, options);
    return name;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.bindings.push({ queue, exchange, routingKey });
  }

  // eslint-disable-next-line max-params -- same signature as AgentTransport.publish
  async publish(exchange: string, routingKey: string, body: Uint8Array | string, properties: MessageProperties = {}): Promise<void> {
    if (this.failPublish) throw new Error('fake transport: publish failed (simulated)');
    this.published.push({ exchange, routingKey, body: typeof body === 'string' ? body : Buffer.from(body).toString('utf8'), properties });
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    this.handlers.set(queue, handler);
    this.consumeOptions.set(queue, options);
    return {
      queue,
      cancel: async () => {
        this.handlers.delete(queue);
      },
    };
  }

  on(event: TransportEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: TransportEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  /** Emits a transport event (e.g. `connected`, as on every (re)connection). */
  emit(event: TransportEvent): void {
    this.events.emit(event);
  }

  listenerCount(event: TransportEvent): number {
    return this.events.listenerCount(event);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** True while something consumes `queue`. */
  consuming(queue: string): boolean {
    return this.handlers.has(queue);
  }

  /** Delivers one message to the consumer of `queue` and reports how the handler settled it. */
  async deliver(
    queue: string,
    body: string | Buffer,
    options: { properties?: MessageProperties; redelivered?: boolean } = {},
  ): Promise<Settlement> {
    const handler = this.handlers.get(queue);
    if (!handler) throw new Error(`fake transport: nobody consumes ${queue}`);
    const message: IncomingMessage = {
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      properties: options.properties ?? {},
      exchange: 'openbaton-exchange',
      routingKey: queue,
      redelivered: options.redelivered ?? false,
    };
    try {
      await handler(message);
      return 'ack';
    } catch {
      return 'nack';
    }
  }

  /** Published messages routed to `routingKey`, bodies parsed as JSON. */
  repliesTo(routingKey: string): unknown[] {
    return this.published.filter((p) => p.routingKey === routingKey).map((p) => JSON.parse(p.body) as unknown);
  }
}
