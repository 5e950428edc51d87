import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';

/** Gson `byte[]` (signed −128…127; 128…255 tolerated) → bytes. */
export function payloadToBytes(payload: readonly number[]): Uint8Array {
  const out = new Uint8Array(payload.length);
  payload.forEach((b, i) => {
    out[i] = b & 0xff;
  });
  return out;
}

/** Bytes → Gson `byte[]` as signed integers −128…127. */
export function bytesToPayload(bytes: Uint8Array): number[] {
  return Array.from(bytes, (b) => (b > 127 ? b - 256 : b));
}

/** Standard base64 (no line breaks) of bytes or of a UTF-8 string. */
export function toBase64(data: Uint8Array | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 decode. @throws ProtocolError on anything that is not valid standard base64 */
export function fromBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new ProtocolError('payload is not valid base64');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** Environment-variable name the way the Generic VNFM sanitises it: `[^A-Za-z0-9_]` → `_`. */
export function sanitizeEnvName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** HMAC-SHA256 (hex) of a command body, sent in the `SIGNATURE_HEADER` header. */
export function signBody(key: string, body: Uint8Array | string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Timing-safe check of a body's signature. */
export function verifySignature(key: string, body: Uint8Array | string, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(signBody(key, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
