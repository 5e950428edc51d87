/**
 * The messaging operations the agent needs. `AgentLink` is a structural subset of the
 * vnfm-sdk `Transport` interface (same method names, same parameter and result shapes), so an
 * SDK transport — e.g. its in-process memory transport — can be passed to `createAgent` as is,
 * while the agent itself never imports the SDK. The agent's own amqplib implementation lives in
 * `transport/amqp-link.ts`.
 */

/** AMQP message properties the agent reads or writes (same shape as the SDK's `MessageProperties`). */
export interface LinkMessageProperties {
  /** Open Baton peers only read `text/*` bodies as strings; the agent always sends `text/plain`. */
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  /** Application headers, e.g. the command signature header. */
  headers?: Record<string, unknown>;
  /** Delivery mode 2 when true. */
  persistent?: boolean;
  /** Per-message TTL in milliseconds. */
  expiration?: number;
}

/** One delivered message (same shape as the SDK's `IncomingMessage`); `body` is the raw bytes. */
export interface LinkIncomingMessage {
  body: Buffer;
  properties: LinkMessageProperties;
  exchange: string;
  routingKey: string;
  /** True when the broker delivered this message before (consumer crashed or connection dropped). */
  redelivered: boolean;
}

/** Queue flags, named as in AMQP (same shape as the SDK's `QueueOptions`). */
export interface LinkQueueOptions {
  /** @default false */
  durable?: boolean;
  /** @default false */
  autoDelete?: boolean;
  /** @default false */
  exclusive?: boolean;
  /** Queue expiry (`x-expires`) in milliseconds. */
  expiresMs?: number;
}

/** Consumer settings (same shape as the SDK's `ConsumeOptions`). */
export interface LinkConsumeOptions {
  /** Unacknowledged deliveries the broker may push to this consumer. @default 1 */
  prefetch?: number;
  /** Handlers running at once for this consumer (never more than `prefetch`). @default prefetch */
  concurrency?: number;
  /** Exclusive consumer. @default false */
  exclusive?: boolean;
}

/** Handles one delivery: resolving acks it, throwing nacks it (same contract as the SDK's `MessageHandler`). */
export type LinkMessageHandler = (message: LinkIncomingMessage) => Promise<void>;

/** A running consumer (same shape as the SDK's `Consumer`). */
export interface LinkConsumer {
  readonly queue: string;
  /** Stops new deliveries and waits for handlers in flight to finish. */
  cancel(): Promise<void>;
}

/** Connection life-cycle events (same names as the SDK's `TransportEvent`). */
export type LinkEvent = 'connected' | 'disconnected' | 'reconnected';

/**
 * What the agent needs from a message broker connection: a subset of the SDK `Transport`,
 * with identical signatures, so any SDK transport satisfies it structurally.
 */
export interface AgentLink {
  /** Declares a queue; returns the queue name. */
  declareQueue(name: string, options?: LinkQueueOptions): Promise<string>;
  /** Binds a queue to an exchange (re-bound after every reconnect). */
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  /** Publishes one message; `exchange` `''` is the default exchange. */
  publish(exchange: string, routingKey: string, body: Uint8Array | string, properties?: LinkMessageProperties): Promise<void>;
  /** Consumes a queue; the consumer is resumed automatically after a reconnect. */
  consume(queue: string, handler: LinkMessageHandler, options?: LinkConsumeOptions): Promise<LinkConsumer>;
  on(event: LinkEvent, listener: () => void): this;
  off(event: LinkEvent, listener: () => void): this;
  /** Graceful shutdown: stop consuming, let handlers in flight finish, close the connection. Idempotent. */
  close(): Promise<void>;
}
