/** Result of {@link decodeBase64Strict}. */
export type Base64Result = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Any character outside the base64 alphabet (a single-character search: linear, no backtracking). */
const OUTSIDE_ALPHABET = /[^A-Za-z0-9+/]/;

/**
 * Decodes standard base64 strictly: line breaks and spaces are ignored (MIME-style wrapping),
 * but any other character outside the alphabet or wrong padding is an error, never silently dropped.
 *
 * Checked with plain string operations and a one-character regex search, never with a regex that
 * repeats a group over the whole payload: V8 keeps a backtracking entry per repetition of
 * `(?:[A-Za-z0-9+/]{4})*` and overflowed its stack on payloads above ~4 MB ("Maximum call stack
 * size exceeded"), where every payload up to `max_command_bytes` must decode.
 */
export function decodeBase64Strict(text: string): Base64Result {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if (OUTSIDE_ALPHABET.test(padding === 0 ? compact : compact.slice(0, compact.length - padding))) {
    return { ok: false, reason: 'payload is not valid base64 (characters outside the base64 alphabet)' };
  }
  if (compact.length % 4 !== 0)
    return { ok: false, reason: `payload is not valid base64 (length ${compact.length} is not a multiple of 4)` };
  const buffer = Buffer.from(compact, 'base64');
  return { ok: true, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
}
