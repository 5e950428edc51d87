export type {
  Transport, TransportEvent, MessageProperties, IncomingMessage, QueueOptions, ExchangeOptions, ConsumeOptions, MessageHandler,
  Consumer, RequestOptions,
} from './transport.js';
export { AmqpTransport, createAmqpTransport, resolveAmqpOptions } from './amqp.js';
export type { AmqpTransportOptions } from './amqp.js';
export { MemoryBroker, MemoryTransport, createMemoryTransport, topicMatches } from './memory.js';
