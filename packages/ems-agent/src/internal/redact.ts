/**
 * The agent's redaction for log output: URLs with credentials (broker URLs, git URLs; the URL rules are
 * `@vnfkit/transport`'s, shared with the SDK) and text quoted from command bodies. Everything the agent
 * logs that holds a URL or text of a body goes through here (call sites, and the `err` serializer of the root logger for errors, whose
 * message or fields may quote either — e.g. Node's `Invalid URL` error carries the whole URL as `input`).
 */

import { redactText } from '@vnfkit/transport';

export { MASK, redactText, redactUrl } from '@vnfkit/transport';

/**
 * The reason a command body was refused, fit for the log: a "body is not JSON" reason quotes the
 * body (the protocol's 80-character preview, and JSON.parse's own excerpt), which may hold the `env`
 * values of an EXECUTE; that part is withheld. The reply to the VNFM keeps the full reason.
 */
export function redactBodyReason(reason: string): string {
  const at = reason.indexOf('body is not JSON');
  const kept = at < 0 ? reason : `${reason.slice(0, at)}body is not JSON (details withheld from the log: they quote the body)`;
  return redactText(kept);
}

/** A deep copy of a log value with every string passed through {@link redactText} (cycles and depth bounded). */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8 || ArrayBuffer.isView(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, depth + 1, seen);
  return out;
}
