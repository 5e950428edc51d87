import type { z } from 'zod';
import { ProtocolError, type ProtocolIssue } from './errors.js';
import { CONTENT_TYPE } from './names.js';
import { ManagerCredentials, ManagerMessage } from './nfvo-vnfm/manager.js';
import { NfvoCommand, VnfmMessage } from './nfvo-vnfm/messages.js';
import { EmsCommand, EmsHello, EmsReply } from './vnfm-ems/commands.js';

/** A body as it comes off the wire. */
export type WireBody = Uint8Array | string;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Open Baton's NFVO reads its peers with Gson, for which a member set to `null` is a member left unset (the Python
 * VNFM SDK sends `"id": null`, `"requires": null`, …). Such members are dropped before validation, so the schemas
 * take what Gson takes; a `null` element of an array, or a `null` body, stays.
 */
function dropNullMembers(this: unknown, _key: string, value: unknown): unknown {
  return value === null && !Array.isArray(this) && _key !== '' ? undefined : value;
}

function parseJson(body: WireBody, what: string, gson = false): unknown {
  const text = typeof body === 'string' ? body : utf8.decode(body);
  try {
    return (gson && text.includes('null') ? JSON.parse(text, dropNullMembers) : JSON.parse(text)) as unknown;
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new ProtocolError(`${what}: body is not JSON (${(error as Error).message}): ${JSON.stringify(preview)}`, { cause: error });
  }
}

interface DecodeOptions {
  what: string;
  /** Read as Gson does (the NFVO↔VNFM messages): `null` members count as absent. */
  gson?: boolean;
  actionKey?: string;
  actions?: readonly string[];
}

function decodeWith<S extends z.ZodType>(schema: S, body: WireBody, options: DecodeOptions): z.output<S> {
  const { what } = options;
  const value = parseJson(body, what, options.gson === true);
  let action: string | undefined;
  if (options.actionKey !== undefined) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProtocolError(
        `${what}: expected a JSON object with "${options.actionKey}", received ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`,
      );
    }
    const raw = (value as Record<string, unknown>)[options.actionKey];
    if (typeof raw !== 'string') {
      throw new ProtocolError(`${what}: missing "${options.actionKey}" (expected one of ${options.actions?.join(', ') ?? 'a string'})`, {
        issues: [{ path: options.actionKey, message: 'required string' }],
      });
    }
    action = raw;
    if (options.actions && !options.actions.includes(raw)) {
      throw new ProtocolError(`${what}: unknown action "${raw}" (expected one of ${options.actions.join(', ')})`, {
        action: raw,
        issues: [{ path: options.actionKey, message: `unknown action "${raw}"` }],
      });
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: ProtocolIssue[] = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const shown = issues
    .slice(0, 3)
    .map((i) => `at ${i.path}: ${i.message}`)
    .join('; ');
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
  throw new ProtocolError(`${action ?? what}: ${shown}${more}`, { issues, action, cause: result.error });
}

function actionsOf(union: { options: readonly { shape: { action: { options?: readonly string[]; value?: string } } }[] }): string[] {
  return union.options.flatMap((o) => o.shape.action.options ?? (o.shape.action.value !== undefined ? [o.shape.action.value] : []));
}

const NFVO_ACTIONS = actionsOf(NfvoCommand as never);
const VNFM_ACTIONS = actionsOf(VnfmMessage as never);
const EMS_ACTIONS = actionsOf(EmsCommand as never);

/** Decodes a message the NFVO sent to a VNFM. @throws ProtocolError */
export function decodeNfvoCommand(body: WireBody): NfvoCommand {
  return decodeWith(NfvoCommand, body, { what: 'NFVO command', gson: true, actionKey: 'action', actions: NFVO_ACTIONS });
}

/** Decodes a message a VNFM sent to the NFVO. @throws ProtocolError */
export function decodeVnfmMessage(body: WireBody): VnfmMessage {
  return decodeWith(VnfmMessage, body, { what: 'VNFM message', gson: true, actionKey: 'action', actions: VNFM_ACTIONS });
}

/** Decodes a register/unregister message; the action is matched case-insensitively and `deregister` means `unregister`. @throws ProtocolError */
export function decodeManagerMessage(body: WireBody): ManagerMessage {
  const value = parseJson(body, 'manager message', true);
  if (typeof value === 'object' && value !== null && typeof (value as { action?: unknown }).action === 'string') {
    const lower = (value as { action: string }).action.toLowerCase();
    (value as { action: string }).action = lower === 'deregister' ? 'unregister' : lower;
  }
  return decodeWith(ManagerMessage, JSON.stringify(value), {
    what: 'manager message',
    actionKey: 'action',
    actions: ['register', 'unregister'],
  });
}

/** Decodes the NFVO's registration answer. @throws ProtocolError */
export function decodeManagerCredentials(body: WireBody): ManagerCredentials {
  return decodeWith(ManagerCredentials, body, { what: 'manager credentials', gson: true });
}

/** Decodes a VNFM → EMS command. @throws ProtocolError */
export function decodeEmsCommand(body: WireBody): EmsCommand {
  return decodeWith(EmsCommand, body, { what: 'EMS command', actionKey: 'action', actions: EMS_ACTIONS });
}

/** Decodes an EMS reply (`status` may be a numeric string). @throws ProtocolError */
export function decodeEmsReply(body: WireBody): EmsReply {
  return decodeWith(EmsReply, body, { what: 'EMS reply' });
}

/** Decodes an EMS hello. @throws ProtocolError */
export function decodeEmsHello(body: WireBody): EmsHello {
  return decodeWith(EmsHello, body, { what: 'EMS hello' });
}

/** A body ready to publish plus the AMQP properties Open Baton peers need. */
export interface EncodedMessage {
  body: Uint8Array;
  properties: { contentType: typeof CONTENT_TYPE; contentEncoding: 'UTF-8' };
}

/** Encodes any message (or `null`, the "nothing to report" reply) as UTF-8 JSON with `text/plain`. */
export function encodeMessage(value: unknown): EncodedMessage {
  return {
    body: encoder.encode(JSON.stringify(value ?? null)),
    properties: { contentType: CONTENT_TYPE, contentEncoding: 'UTF-8' },
  };
}
