/**
 * The agent's hot-path codec for VNFM → EMS commands and EMS replies.
 *
 * `@vnfkit/protocol`'s codec is built on zod's classic build, and its module also builds every
 * NFVO message schema when it loads — about 14 MB of resident memory and a good part of the
 * start-up time of a daemon that otherwise needs neither. Well-formed commands are therefore checked
 * here with plain code, against the same rules as the protocol's `EmsCommand` schema, and anything
 * this check does not accept goes to the protocol's `decodeEmsCommand`, loaded on first use, so a
 * refused command gets exactly the protocol's error. The protocol schema stays the only definition:
 * the fast check only ever says "certainly valid" or "ask the schema".
 */
import { CONTENT_TYPE } from '@vnfkit/protocol';
import type { EmsCommand, EncodedMessage } from '@vnfkit/protocol';
import { loadProtocol as protocol } from './lazy-modules.js';

const ACTIONS: ReadonlySet<string> = new Set(['SAVE_SCRIPTS', 'CLONE_SCRIPTS', 'EXECUTE', 'SCRIPTS_UPDATE', 'SAVE_VNFR_DEPENDENCY']);
const NAMED: ReadonlySet<string> = new Set(['SAVE_SCRIPTS', 'SCRIPTS_UPDATE']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

function isStringRecord(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (typeof value[key] !== 'string') return false;
  }
  return true;
}

/** A bundled SAVE_SCRIPTS' or EXECUTE's `files`: plain objects with string `name` and `payload`. */
function isFileList(value: unknown): boolean {
  return Array.isArray(value) && value.every((f) => isPlainObject(f) && typeof f['name'] === 'string' && typeof f['payload'] === 'string');
}

/**
 * A command body the fast check accepts, parsed, or `undefined` when only the protocol's schema can
 * decide (bad JSON, unknown action, a field of the wrong type, a byte-order mark, `__proto__` keys).
 * Accepts a strict subset of what `EmsCommand` accepts, and returns the same value the schema would.
 */
export function decodeCommandFast(body: Uint8Array): EmsCommand | undefined {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.includes('__proto__') || text.charCodeAt(0) === 0xfeff) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const { action } = value;
  if (typeof action !== 'string' || !ACTIONS.has(action)) return undefined;
  if (typeof value['payload'] !== 'string') return undefined;
  if (value['script-path'] !== undefined && typeof value['script-path'] !== 'string') return undefined;
  if (NAMED.has(action) && typeof value['name'] !== 'string') return undefined;
  if (action === 'EXECUTE' && value['env'] !== undefined && !isStringRecord(value['env'])) return undefined;
  if (action === 'EXECUTE' && value['dependency'] !== undefined && typeof value['dependency'] !== 'string') return undefined;
  if ((action === 'SAVE_SCRIPTS' || action === 'EXECUTE') && value['files'] !== undefined && !isFileList(value['files'])) return undefined;
  return value as EmsCommand;
}

/** Decodes a command: the fast check, else the protocol's `decodeEmsCommand` (same result, same errors). @throws ProtocolError */
export async function decodeCommand(body: Uint8Array): Promise<EmsCommand> {
  const fast = decodeCommandFast(body);
  if (fast !== undefined) return fast;
  const { decodeEmsCommand } = await protocol();
  return decodeEmsCommand(body);
}

/** Encodes a reply or a hello exactly like the protocol's `encodeMessage`: UTF-8 JSON, `text/plain`. */
export function encodeBody(value: unknown): EncodedMessage {
  return {
    body: Buffer.from(JSON.stringify(value ?? null), 'utf8'),
    properties: { contentType: CONTENT_TYPE, contentEncoding: 'UTF-8' },
  };
}
