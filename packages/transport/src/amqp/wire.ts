import type { ConsumeMessage, Options } from 'amqplib';
import { CONTENT_TYPE, toError } from '@vnfkit/protocol';
import type { ExchangeOptions, IncomingMessage, MessageProperties, QueueOptions } from '../transport.js';

/** Conversions between vnfkit's message shapes and amqplib's. */

export function toIncoming(msg: ConsumeMessage): IncomingMessage {
  const p = msg.properties;
  const properties: MessageProperties = {};
  if (p.contentType) properties.contentType = String(p.contentType);
  if (p.contentEncoding) properties.contentEncoding = String(p.contentEncoding);
  if (p.correlationId) properties.correlationId = String(p.correlationId);
  if (p.replyTo) properties.replyTo = String(p.replyTo);
  if (p.messageId) properties.messageId = String(p.messageId);
  if (p.headers && Object.keys(p.headers).length > 0) properties.headers = p.headers as Record<string, unknown>;
  if (p.deliveryMode === 2) properties.persistent = true;
  if (p.expiration !== undefined && p.expiration !== null && String(p.expiration) !== '') properties.expiration = Number(p.expiration);
  return {
    body: msg.content,
    properties,
    exchange: msg.fields.exchange,
    routingKey: msg.fields.routingKey,
    redelivered: msg.fields.redelivered,
  };
}

export function publishOptions(properties: MessageProperties): Options.Publish {
  const o: Options.Publish = {
    contentType: properties.contentType ?? CONTENT_TYPE,
    contentEncoding: properties.contentEncoding ?? 'UTF-8',
  };
  if (properties.correlationId) o.correlationId = properties.correlationId;
  if (properties.replyTo) o.replyTo = properties.replyTo;
  if (properties.messageId) o.messageId = properties.messageId;
  if (properties.headers) o.headers = properties.headers;
  if (properties.persistent) o.persistent = true;
  if (properties.expiration !== undefined) o.expiration = String(properties.expiration);
  return o;
}

export function queueArguments(options: QueueOptions): Options.AssertQueue {
  const args: Options.AssertQueue = {
    durable: options.durable ?? false,
    autoDelete: options.autoDelete ?? false,
    exclusive: options.exclusive ?? false,
  };
  if (options.expiresMs !== undefined) args.expires = options.expiresMs;
  const extra: Record<string, unknown> = {};
  if (options.type !== undefined && options.type !== 'classic') extra['x-queue-type'] = options.type;
  if (options.singleActiveConsumer === true) extra['x-single-active-consumer'] = true;
  if (options.maxLengthBytes !== undefined) extra['x-max-length-bytes'] = options.maxLengthBytes;
  if (Object.keys(extra).length > 0) args.arguments = extra;
  return args;
}

export function exchangeArguments(options: ExchangeOptions): Options.AssertExchange {
  return { durable: options.durable ?? true, autoDelete: options.autoDelete ?? false };
}

/** The body as a Buffer; a Buffer is used as it is (no copy: a burst of publishes of one payload stays small). */
export function toBuffer(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The AMQP reply code of a broker error (404 NOT_FOUND, 405 RESOURCE_LOCKED, …), if it has one. */
export function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Failures that retrying the first connect will not fix: bad credentials, missing vhost, untrusted certificate. */
export function isFatalConnectError(error: unknown): boolean {
  const e = toError(error);
  const code = String((e as { code?: unknown }).code ?? '');
  return /ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(e.message) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}
