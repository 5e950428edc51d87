/**
 * vnfkit's one redaction of secrets in URLs, for logs and error messages: broker URLs (SDK and agent)
 * and git URLs (agent). Works on text no URL parser accepts, e.g. a password with an unencoded `@`.
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
 * the user name, host and path stay. Works on URLs no parser accepts; text without a scheme is shown as
 * `(invalid URL)`, except an scp-style `user@host:path`.
 * @example redactUrl('amqp://admin:p@ss:w/rd@10.0.0.1:5672/%2f') // 'amqp://admin:***@10.0.0.1:5672/%2f'
 */
export function redactUrl(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)/.exec(url);
  // No scheme: an scp-style git address (`git@host:path`) holds no secret; anything else is not shown.
  if (!match) return /^[\w.-]+@[\w.-]+:/.test(url) ? url : '(invalid URL)';
  return redactAfterScheme(match[1] ?? '', url.slice(match[0].length));
}

/** Every URL inside a free text redacted like {@link redactUrl}. */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (_all, scheme: string, rest: string) => redactAfterScheme(scheme, rest));
}

/** The password part of a URL's user info (empty when there is none), found like {@link redactUrl} finds it. */
function passwordOf(url: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!match) return '';
  const rest = url.slice(match[0].length);
  const userinfo = rest.slice(0, Math.max(0, rest.lastIndexOf('@')));
  const colon = userinfo.indexOf(':');
  return colon < 0 ? '' : userinfo.slice(colon + 1);
}

/**
 * `text` with every occurrence of the URL's password replaced by `***`, as written in the URL
 * (percent-encoded) and decoded, and every URL in it redacted: driver messages sometimes echo the URL.
 */
export function redactSecret(text: string, url: string): string {
  const raw = passwordOf(url);
  let result = text;
  for (const secret of new Set([raw, safeDecode(raw)])) if (secret.length > 0) result = result.split(secret).join(MASK);
  return redactText(result);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
