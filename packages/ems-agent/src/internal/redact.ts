/**
 * The agent's one redaction helper for log output: URLs with credentials (broker URLs, git URLs)
 * and text quoted from command bodies. Everything the agent logs that holds a URL or text of a body
 * goes through here (call sites, and the `err` serializer of the root logger for errors, whose
 * message or fields may quote either — e.g. Node's `Invalid URL` error carries the whole URL as `input`).
 */

/** What replaces a secret. */
export const MASK = '***';

/** A `scheme://` and what follows up to whitespace or a quote. */
const URL_IN_TEXT = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s"'`<>]*)/g;

/** Schemes whose user name alone may be the secret (`https://<token>@host/...`, GitHub and GitLab style). */
const TOKEN_USER_SCHEMES = new Set(['http://', 'https://']);

function redactAfterScheme(scheme: string, rest: string): string {
  // The credentials end at the LAST "@": a password may contain "@", ":" and "/" (unencoded, as people
  // write them), which a URL parser would read as the host, port or path, and so would a "first @" rule.
  const at = rest.lastIndexOf('@');
  if (at < 0) return scheme + rest;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  let shown: string;
  if (colon >= 0) shown = `${userinfo.slice(0, colon)}:${MASK}`;
  else if (TOKEN_USER_SCHEMES.has(scheme.toLowerCase())) shown = MASK;
  else return scheme + rest; // `ssh://git@host/…`, `amqp://guest@host`: a user name, no secret
  return `${scheme}${shown}${rest.slice(at)}`;
}

/**
 * A URL with its password (and, for http/https, a token given as user name) replaced by `***`;
 * the user name, host and path stay. Works on URLs no parser accepts.
 * @example redactUrl('amqp://admin:p@ss:w/rd@10.0.0.1:5672/%2f') // 'amqp://admin:***@10.0.0.1:5672/%2f'
 */
export function redactUrl(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)/.exec(url);
  if (!match) return url;
  return redactAfterScheme(match[1] ?? '', url.slice(match[0].length));
}

/** Every URL inside a free text redacted like {@link redactUrl}. */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (_all, scheme: string, rest: string) => redactAfterScheme(scheme, rest));
}

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
