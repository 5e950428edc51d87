import { fromBase64 } from '@vnfkit/protocol';

/** Result of {@link decodeBase64Strict}. */
export type Base64Result = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Decodes standard base64 strictly: line breaks and spaces are ignored (MIME-style wrapping),
 * but any other character outside the alphabet or wrong padding is an error, never silently dropped.
 */
export function decodeBase64Strict(text: string): Base64Result {
  const compact = text.replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return { ok: false, reason: 'payload is not valid base64 (characters outside the base64 alphabet)' };
  if (compact.length % 4 !== 0) return { ok: false, reason: `payload is not valid base64 (length ${compact.length} is not a multiple of 4)` };
  try {
    return { ok: true, bytes: fromBase64(compact) };
  } catch (error) {
    return { ok: false, reason: `payload is not valid base64 (${(error as Error).message})` };
  }
}
