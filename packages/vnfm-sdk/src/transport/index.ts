export type {
  Transport, TransportEvent, MessageProperties, IncomingMessage, QueueOptions, QueueState, ExchangeOptions, ConsumeOptions, MessageHandler,
  Consumer, RequestOptions,
} from './transport.js';
export { UNROUTABLE_RETRY_MS } from './transport.js';
export { AmqpTransport, DEFAULT_AMQP_URL, createAmqpTransport, resolveAmqpOptions } from './amqp.js';
export type { AmqpTransportOptions, AmqpTransportState, ReconnectOptions, ReplyMode, ResolvedAmqpTransportOptions } from './amqp.js';
export { MemoryBroker, MemoryTransport, createMemoryTransport, topicMatches } from './memory.js';
export type { MemoryTransportOptions, MemoryTransportState } from './memory.js';
