/**
 * The one messaging abstraction of vnfkit. `amqp` (RabbitMQ through amqplib) and `memory`
 * (an in-process broker with the same routing semantics) both implement it; everything above
 * the transport layer (NFVO link, EMS client, NFVO simulator) is written against this interface.
 */

/** AMQP message properties vnfkit reads or writes. */
export interface MessageProperties {
  /** Open Baton peers only read `text/*` bodies as strings; vnfkit always sends `text/plain`. */
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  /** Application headers, e.g. the command signature header of the EMS. */
  headers?: Record<string, unknown>;
  /** Delivery mode 2 when true. */
  persistent?: boolean;
  /** Per-message TTL in milliseconds. */
  expiration?: number;
}

/** What {@link Transport.publish} takes: the message's properties and the publish flag `mandatory`. */
export interface PublishProperties extends MessageProperties {
  /**
   * The broker must route the message to a queue: when none takes it (a consumer's auto-delete queue gone while it
   * reconnects) the broker returns it and the publish rejects with an `UnroutableError` instead of resolving.
   * @default false: such a message is dropped silently
   */
  mandatory?: boolean;
}

/** One delivered message. `body` is the raw bytes; decoding is the protocol codec's job. */
export interface IncomingMessage {
  body: Buffer;
  properties: MessageProperties;
  exchange: string;
  routingKey: string;
  /** True when the broker delivered this message before (consumer crashed or connection dropped). */
  redelivered: boolean;
}

/** Queue flags, named as in AMQP. */
export interface QueueOptions {
  /** @default false */
  durable?: boolean;
  /** @default false */
  autoDelete?: boolean;
  /** @default false */
  exclusive?: boolean;
  /** Queue expiry (`x-expires`) in milliseconds: the queue is deleted after this long unused. */
  expiresMs?: number;
  /**
   * `quorum`: a replicated queue (`x-queue-type: quorum`, durable, not exclusive or auto-delete) that survives the loss
   * of a minority of the nodes of a RabbitMQ cluster. `stream`: a replicated append-only log (durable) that every
   * consumer reads from an offset ({@link ConsumeOptions.streamOffset}) without removing anything; amqp transport
   * only. A queue's type is fixed when it is first declared; declaring it again with another type fails.
   * @default 'classic'
   */
  type?: 'classic' | 'quorum' | 'stream';
  /**
   * Only one consumer at a time gets deliveries (`x-single-active-consumer`); when it goes, the broker hands the queue
   * to the next one, e.g. to a standby replica. @default false
   */
  singleActiveConsumer?: boolean;
  /** Size bound (`x-max-length-bytes`): a stream drops its oldest segments beyond it. */
  maxLengthBytes?: number;
}

/** Where a stream consumer starts: a named position or an offset number. */
export type StreamOffset = 'first' | 'last' | 'next' | number;

/** A queue as the broker reports it ({@link Transport.inspectQueue}). */
export interface QueueState {
  /** Messages ready for delivery (not counting unacknowledged ones). */
  messages: number;
  /** Consumers attached. */
  consumers: number;
}

export interface ExchangeOptions {
  /** @default true */
  durable?: boolean;
  /** @default false */
  autoDelete?: boolean;
}

export interface ConsumeOptions {
  /** Unacknowledged deliveries the broker may push to this consumer. @default 1 */
  prefetch?: number;
  /** Handlers running at once for this consumer (never more than `prefetch`). @default prefetch */
  concurrency?: number;
  /** Exclusive consumer. @default false */
  exclusive?: boolean;
  /**
   * A stream queue's consumer starts at this offset (`x-stream-offset`): `first`, `last`, `next` or an offset number;
   * a function is asked again each time the consumer is started (after a reconnect: e.g. the offset after the last
   * message handled, so a reader does not read the stream again from the start).
   */
  streamOffset?: StreamOffset | (() => StreamOffset);
}

/**
 * Handles one delivery. Resolving acks the message; throwing nacks it without requeue (the handler is responsible
 * for replying first where the protocol demands a reply), or with requeue for a `RequeueError`.
 */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface Consumer {
  readonly queue: string;
  /** Stops new deliveries and waits for handlers in flight to finish. */
  cancel(): Promise<void>;
}

export interface RequestOptions {
  /** Deadline for the reply, in milliseconds. Required: every wait in vnfkit has one. */
  timeoutMs: number;
  /** What is being waited for, used in the `TimeoutError` message (e.g. "GRANT_OPERATION for VNFR iperf-server"). */
  waitedFor?: string;
  correlationId?: string;
  headers?: Record<string, unknown>;
  /**
   * Headers computed for each publish of the request from the `reply_to` it goes out with (a reply queue's name, or
   * `amq.rabbitmq.reply-to`), merged over {@link headers} — e.g. an EMS command signature that binds `reply_to`,
   * which may change when the request is sent again after a reconnect.
   */
  headersForReplyTo?: (replyTo: string) => Record<string, unknown>;
  /** When true the request is re-sent after a reconnect instead of failing. @default false */
  idempotent?: boolean;
  /**
   * Delivery mode 2: in a durable queue the request survives a broker restart. Open Baton's NFVO sends its
   * commands this way (Spring's default). @default false
   */
  persistent?: boolean;
  /**
   * When true the request is published `mandatory`, and while the broker finds no queue for it (an
   * agent's auto-delete actions queue in the moment its agent reconnects) it is sent again every
   * {@link UNROUTABLE_RETRY_MS} until it is routed or the deadline passes, whose `TimeoutError` then
   * says that no queue took it. Safe for any request: a returned message reached nobody. @default false
   */
  retryUnroutable?: boolean;
  signal?: AbortSignal;
  /**
   * Sends the request without a correlation id, as Spring AMQP 1.7's `RabbitTemplate.convertSendAndReceive`
   * does (Open Baton's NFVO and Java VNFMs; `RabbitTemplate.doSendAndReceiveWithTemporary`): on a channel of
   * its own that consumes a fresh direct reply-to address, where the first message is the reply. `correlationId`
   * is ignored and the request cannot be given to {@link Transport.resendRequest}. @default false
   */
  withoutCorrelationId?: boolean;
}

/** @internal A request's headers for one publish: `headers`, with `headersForReplyTo(replyTo)` merged over them. */
export function withReplyToHeaders(
  input: { headers: Record<string, unknown> | undefined; headersForReplyTo: ((replyTo: string) => Record<string, unknown>) | undefined },
  replyTo: string,
): Record<string, unknown> | undefined {
  if (input.headersForReplyTo === undefined) return input.headers;
  return { ...input.headers, ...input.headersForReplyTo(replyTo) };
}

/** How long an unroutable request (`retryUnroutable`) waits before it is sent again. */
export const UNROUTABLE_RETRY_MS = 200;

/**
 * Connection life-cycle events. `blocked`/`unblocked`: the broker stopped (resource alarm) and resumed
 * reading this connection's publishes; only the amqp transport emits them.
 */
export type TransportEvent = 'connected' | 'disconnected' | 'reconnected' | 'blocked' | 'unblocked';

/** The messaging operations vnfkit needs, implemented by the `amqp` and `memory` transports. */
export interface Transport {
  /** Declares an exchange (re-declared after every reconnect). */
  declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options?: ExchangeOptions): Promise<void>;
  /** Declares a queue; `''` asks the broker for a server-named queue. Returns the queue name. */
  declareQueue(name: string, options?: QueueOptions): Promise<string>;
  /** Binds a queue to an exchange (re-bound after every reconnect). */
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  /**
   * What the broker says of a queue now (a passive declare): its ready messages and consumers, or undefined when
   * it does not exist. Declares nothing.
   */
  inspectQueue(name: string): Promise<QueueState | undefined>;
  /** Deletes a queue; missing queues are not an error. */
  deleteQueue(name: string): Promise<void>;
  /**
   * Publishes one message; resolves once the broker confirmed it. `exchange` `''` is the default exchange. A
   * `mandatory` message no queue took rejects with an `UnroutableError`.
   */
  publish(exchange: string, routingKey: string, body: Uint8Array | string, properties?: PublishProperties): Promise<void>;
  /** Consumes a queue; the consumer is resumed automatically after a reconnect. */
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Consumer>;
  /**
   * Sends a request with `reply_to` + `correlation_id` (or without an id, {@link RequestOptions.withoutCorrelationId})
   * and resolves with the reply, or rejects with a `TimeoutError`.
   */
  request(exchange: string, routingKey: string, body: Uint8Array | string, options: RequestOptions): Promise<IncomingMessage>;
  /**
   * Publishes a request that still waits for its reply once more, unchanged (same correlation id, body and
   * deadline), for when the request or its reply may have been lost; the first reply settles it, later ones
   * are dropped. Only for receivers that answer a repeat without acting twice. False when no such request
   * waits (answered, failed, or already waiting to be re-sent after a reconnect).
   */
  resendRequest(correlationId: string): boolean;
  /**
   * Publishes `body` to the default exchange with routing key = `request.properties.replyTo`, copying the
   * correlation id (a request without one gets a reply without one, as Spring's listeners answer).
   */
  reply(request: IncomingMessage, body: Uint8Array | string, properties?: MessageProperties): Promise<void>;
  on(event: TransportEvent, listener: () => void): this;
  off(event: TransportEvent, listener: () => void): this;
  /** Graceful shutdown: stop consuming, let handlers in flight finish, close the connection. Idempotent. */
  close(): Promise<void>;
}
