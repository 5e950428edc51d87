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

/** Version tag of {@link signCommand}'s signatures. */
const SIGNATURE_VERSION = 'v2';

function commandMac(key: string, input: { body: Uint8Array | string; correlationId: string; signedAt: number }): Buffer {
  return createHmac('sha256', key).update(`vnfkit-ems-${SIGNATURE_VERSION}\n${input.signedAt}\n${input.correlationId}\n`).update(input.body).digest();
}

/**
 * The `SIGNATURE_HEADER` value of an EMS command: `v2:<signedAt ms>:<hex HMAC-SHA256>`, the MAC covering the
 * signing time, the correlation id and the body. Binding time and id lets an agent refuse a replayed command
 * (see {@link verifyCommandSignature}); a repeat the VNFM sends on purpose is the same message, so it verifies.
 */
export function signCommand(key: string, input: { body: Uint8Array | string; correlationId: string; signedAt?: number }): string {
  const signedAt = input.signedAt ?? Date.now();
  return `${SIGNATURE_VERSION}:${signedAt}:${commandMac(key, { ...input, signedAt }).toString('hex')}`;
}

/** Outcome of {@link verifyCommandSignature}: the signing time, or why the signature does not hold. */
export type SignatureCheck = { ok: true; signedAt: number } | { ok: false; reason: string };

/** Timing-safe check of a {@link signCommand} signature against the body and correlation id that arrived. */
export function verifyCommandSignature(key: string, input: { body: Uint8Array | string; correlationId: string | undefined; signature: unknown }): SignatureCheck {
  const match = typeof input.signature === 'string' ? /^v2:(\d{1,15}):([0-9a-f]{64})$/.exec(input.signature) : null;
  if (!match) return { ok: false, reason: 'not a v2 signature (v2:<signed-at ms>:<hex HMAC-SHA256>)' };
  if (input.correlationId === undefined || input.correlationId === '') return { ok: false, reason: 'a signed command needs its correlation id' };
  const signedAt = Number(match[1]);
  const expected = commandMac(key, { body: input.body, correlationId: input.correlationId, signedAt });
  if (!timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'))) return { ok: false, reason: 'invalid signature' };
  return { ok: true, signedAt };
}
