import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { DIRECT_REPLY_TO } from './names.js';

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
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString(
    'base64',
  );
}

/** One character outside the alphabet: a linear search. A repeated group over the whole text overflows V8's regex stack above ~4 MB. */
const OUTSIDE_BASE64 = /[^A-Za-z0-9+/]/;

/** Strict base64 decode (any size). @throws ProtocolError on anything that is not valid standard base64 */
/**
 * Base64 bytes of the files one bundled `SAVE_SCRIPTS` carries at most (4 MiB): well under the agent's
 * `max_command_bytes` (16 MiB by default), which a package sent file by file never came near.
 */
export const BUNDLE_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * Splits files into bundles of at most `maxBytes` of base64 each, in order; a file bigger than that is a bundle of
 * its own (it went as one command before bundles, too).
 */
export function bundleFiles<T extends { content: Uint8Array | string }>(files: readonly T[], maxBytes = BUNDLE_MAX_PAYLOAD_BYTES): T[][] {
  const bundles: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = Math.ceil((typeof file.content === 'string' ? Buffer.byteLength(file.content) : file.content.byteLength) / 3) * 4;
    if (current.length > 0 && bytes + size > maxBytes) {
      bundles.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += size;
  }
  if (current.length > 0) bundles.push(current);
  return bundles;
}

/** Files as a bundled `SAVE_SCRIPTS` or `EXECUTE` carries them (`files`): each name with its content in base64. */
export function wireFiles(files: readonly { name: string; content: Uint8Array | string }[]): { name: string; payload: string }[] {
  return files.map((f) => ({ name: f.name, payload: toBase64(f.content) }));
}

export function fromBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if (compact.length % 4 !== 0 || OUTSIDE_BASE64.test(compact.slice(0, compact.length - padding)))
    throw new ProtocolError('payload is not valid base64');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** Environment-variable name the way the Generic VNFM sanitises it: `[^A-Za-z0-9_]` → `_`. */
export function sanitizeEnvName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Version tag of the command and reply signatures ({@link signCommand}, {@link signReply}). */
const SIGNATURE_VERSION = 'v3';
/** Prefix of the addresses RabbitMQ's direct reply-to gives a requester (`amq.rabbitmq.reply-to.<token>`). */
const DIRECT_REPLY_TO_PREFIX = `${DIRECT_REPLY_TO}.`;

/**
 * A VM's own signing key: hex HMAC-SHA256(`key`, `hostname`). `key` is what the agent holds as `signing_key` — the
 * Generic VNFM hands each VNFR's VMs {@link deriveVnfrKey}`(master, vnfr id)` — and both the agent and the VNFM sign
 * and verify with this derived key, so a command or reply for one hostname never verifies for another.
 */
export function deriveAgentKey(key: string, hostname: string): string {
  return createHmac('sha256', key).update(hostname).digest('hex');
}

/**
 * The key the VMs of one VNFR are given (user-data `SIGNING_KEY`, agent `signing_key`): hex HMAC-SHA256(`master`,
 * `"vnfr:" + vnfrId`). The VNFM's master key never leaves the VNFM; each VM then signs with
 * {@link deriveAgentKey}`(this, hostname)`. A VM's root can derive its siblings' keys (same VNFR), no other VM's.
 */
export function deriveVnfrKey(master: string, vnfrId: string): string {
  return createHmac('sha256', master).update(`vnfr:${vnfrId}`).digest('hex');
}

/**
 * The `reply_to` a signature covers. RabbitMQ rewrites a direct reply-to (`amq.rabbitmq.reply-to`) into a
 * per-channel `amq.rabbitmq.reply-to.<token>` the sender never sees, so every direct reply-to address counts as
 * `amq.rabbitmq.reply-to`; any other value (a reply queue) is covered exactly. Absent = `''`.
 */
export function signedReplyTo(replyTo: string | undefined): string {
  if (replyTo === undefined) return '';
  return replyTo.startsWith(DIRECT_REPLY_TO_PREFIX) ? DIRECT_REPLY_TO : replyTo;
}

/** What a command signature covers besides the body. */
export interface CommandSignatureInput {
  body: Uint8Array | string;
  correlationId: string;
  /** The agent's actions queue the command is for, `vnfm.<hostname>.actions`. */
  routingKey: string;
  /** The command's `reply_to` (see {@link signedReplyTo}). */
  replyTo: string | undefined;
}

function commandMac(key: string, input: CommandSignatureInput & { signedAt: number }): Buffer {
  // JSON: unambiguous field boundaries whatever characters an id or queue name holds.
  const head = JSON.stringify([
    `vnfkit-ems-${SIGNATURE_VERSION}-command`,
    input.signedAt,
    input.correlationId,
    input.routingKey,
    signedReplyTo(input.replyTo),
  ]);
  return createHmac('sha256', key).update(`${head}\n`).update(input.body).digest();
}

function replyMac(key: string, input: { body: Uint8Array | string; correlationId: string | undefined; hostname: string }): Buffer {
  const head = JSON.stringify([`vnfkit-ems-${SIGNATURE_VERSION}-reply`, input.hostname, input.correlationId ?? '']);
  return createHmac('sha256', key).update(`${head}\n`).update(input.body).digest();
}

/**
 * The `SIGNATURE_HEADER` value of an EMS command: `v3:<signedAt ms>:<hex HMAC-SHA256>`, keyed with the target VM's
 * key ({@link deriveAgentKey}), the MAC covering the signing time, the correlation id, the target actions queue, the
 * `reply_to` and the body. Binding time and id lets an agent refuse a replayed command, the queue a command captured
 * on its way to another VM, the `reply_to` a replay that would send the output elsewhere (see
 * {@link verifyCommandSignature}); a repeat the VNFM sends on purpose is the same message, so it verifies.
 */
export function signCommand(key: string, input: CommandSignatureInput & { signedAt?: number }): string {
  const signedAt = input.signedAt ?? Date.now();
  return `${SIGNATURE_VERSION}:${signedAt}:${commandMac(key, { ...input, signedAt }).toString('hex')}`;
}

/** Outcome of {@link verifyCommandSignature}: the signing time, or why the signature does not hold. */
export type SignatureCheck = { ok: true; signedAt: number } | { ok: false; reason: string };

/**
 * Timing-safe check of a {@link signCommand} signature against what arrived: the body, correlation id and `reply_to`
 * of the delivery and the queue the checking agent consumes. Older signatures (v2, body-only) are refused.
 */
export function verifyCommandSignature(
  key: string,
  input: Omit<CommandSignatureInput, 'correlationId'> & { correlationId: string | undefined; signature: unknown },
): SignatureCheck {
  const match = typeof input.signature === 'string' ? /^v3:(\d{1,15}):([0-9a-f]{64})$/.exec(input.signature) : null;
  if (!match) {
    const old = typeof input.signature === 'string' && /^v2:/.test(input.signature);
    return {
      ok: false,
      reason: old
        ? 'v2 signatures are refused (not bound to the target queue and reply_to); the VNFM must sign v3'
        : 'not a v3 signature (v3:<signed-at ms>:<hex HMAC-SHA256>)',
    };
  }
  if (input.correlationId === undefined || input.correlationId === '')
    return { ok: false, reason: 'a signed command needs its correlation id' };
  const signedAt = Number(match[1]);
  const expected = commandMac(key, { ...input, correlationId: input.correlationId, signedAt });
  if (!timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex')))
    return { ok: false, reason: "invalid signature (wrong key, another VM's command, another reply_to, or altered)" };
  return { ok: true, signedAt };
}

/**
 * The `REPLY_SIGNATURE_HEADER` value of an agent's reply: `v3:<hex HMAC-SHA256>` keyed with the agent's own key
 * ({@link deriveAgentKey}), covering the agent's hostname, the correlation id and the body.
 */
export function signReply(key: string, input: { body: Uint8Array | string; correlationId: string | undefined; hostname: string }): string {
  return `${SIGNATURE_VERSION}:${replyMac(key, input).toString('hex')}`;
}

/** Timing-safe check of a {@link signReply} signature; `hostname` is the VM the command went to. */
export function verifyReplySignature(
  key: string,
  input: { body: Uint8Array | string; correlationId: string | undefined; hostname: string; signature: unknown },
): { ok: true } | { ok: false; reason: string } {
  const match = typeof input.signature === 'string' ? /^v3:([0-9a-f]{64})$/.exec(input.signature) : null;
  if (!match)
    return {
      ok: false,
      reason: input.signature === undefined ? 'the reply is not signed' : 'the reply signature is not v3:<hex HMAC-SHA256>',
    };
  if (!timingSafeEqual(replyMac(key, input), Buffer.from(match[1] ?? '', 'hex')))
    return { ok: false, reason: "invalid reply signature (not from that VM's agent, or altered)" };
  return { ok: true };
}
