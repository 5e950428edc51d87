// @vnfkit/transport: the one messaging layer of vnfkit, used by the SDK (VNFM side) and the EMS agent.
export type {
  Transport,
  TransportEvent,
  MessageProperties,
  PublishProperties,
  IncomingMessage,
  QueueOptions,
  QueueState,
  ExchangeOptions,
  ConsumeOptions,
  MessageHandler,
  Consumer,
  RequestOptions,
  StreamOffset,
} from './transport.js';
export { UNROUTABLE_RETRY_MS } from './transport.js';
export { AmqpTransport, createAmqpTransport } from './amqp/amqp-transport.js';
export type { AmqpTransportState } from './amqp/amqp-transport.js';
export { DEFAULT_AMQP_URL, firstUrl, resolveAmqpOptions, splitUrls } from './amqp/options.js';
export type { AmqpTransportOptions, ReconnectOptions, ReplyMode, ResolvedAmqpTransportOptions } from './amqp/options.js';
export { MemoryBroker, MemoryTransport, createMemoryTransport, topicMatches } from './memory/memory-transport.js';
export type { MemoryTransportOptions, MemoryTransportState } from './memory/memory-transport.js';
export { backoffDelay } from './internal/backoff.js';
export type { BackoffBounds } from './internal/backoff.js';
export { MASK, redactSecret, redactText, redactUrl } from './redact.js';
export { RequeueError } from './requeue-error.js';
export { UnroutableError } from './unroutable-error.js';
export { StreamLog } from './stream-log.js';
export type { StreamLogOptions } from './stream-log.js';
