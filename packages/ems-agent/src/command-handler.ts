import { join } from 'node:path';
import {
  CONTENT_TYPE,
  DEDUP_HEADER,
  DEDUPLICATES_BY_CORRELATION_ID,
  REPLY_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  deriveAgentKey,
  deriveVmKey,
  emsActionsQueue,
  signReply,
  verifyCommandSignature,
} from '@vnfkit/protocol';
import type { EmsCommand, IdentityKeyPair } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { CommandContext, CommandReply } from './commands/index.js';
import { failure, runCommand } from './commands/index.js';
import type { ExecutionStore } from './execution-store.js';
import { hashBody } from './execution-store.js';
import { redactBodyReason } from './internal/redact.js';
import { ReplayGuard } from './internal/replay-guard.js';
import { decodeCommand, encodeBody } from './internal/wire.js';
import type { IncomingMessage } from '@vnfkit/transport';
import type { AgentTransport } from './transport/agent-transport.js';

/** The reply to a redelivered EXECUTE whose first run was cut short by an agent crash. */
export const INTERRUPTED_ERR = 'interrupted by agent restart; not re-run';

/** Options of {@link createCommandHandler}. */
export interface CommandHandlerOptions {
  transport: AgentTransport;
  store: ExecutionStore;
  context: CommandContext;
  logger: Logger;
  /** This VM's key pair (with `signing_key` and `vnfm_public_key`): commands and replies use the per-VM key. */
  identity?: IdentityKeyPair;
}

/**
 * The key this VM signs and verifies with: none without `signing_key`; with the VNFM's public key and this VM's
 * key pair, the per-VM key no sibling can derive (`deriveVmKey`); else the host key `deriveAgentKey(signing_key, hostname)`.
 */
export function agentSigningKey(config: CommandContext['config'], identity: IdentityKeyPair | undefined): string | undefined {
  if (config.signing_key === undefined) return undefined;
  const hostKey = deriveAgentKey(config.signing_key, config.hostname);
  if (config.vnfm_public_key === undefined || identity === undefined) return hostKey;
  return deriveVmKey({ privateKey: identity.privateKey, peerPublicKey: config.vnfm_public_key, hostKey, hostname: config.hostname });
}

/** Handles one delivery from the actions queue; resolves once the reply is published (then the link acks). */
export type CommandHandler = (message: IncomingMessage) => Promise<void>;

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Why a body cannot be decoded, phrased for the VNFM (`err` of the reply). */
function decodeFailure(error: unknown): string {
  return `command refused: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Builds the handler of the actions queue: optional signature check, decode, repeat check against
 * the on-disk execution records (same correlation id and body: redelivered by the broker or sent
 * again by the VNFM), run, record, reply (`text/plain`, correlation id copied). Commands run strictly
 * one at a time, even across a reconnect that brings a repeat while the first delivery still runs.
 */
export function createCommandHandler(options: CommandHandlerOptions): CommandHandler {
  const { transport, store, context } = options;
  const { hostname } = context.config;
  // This VM's own key: a command signed for another VM never verifies here.
  const signingKey = agentSigningKey(context.config, options.identity);
  const queue = emsActionsQueue(hostname);
  // Only with a key: unsigned commands cannot be told from replays anyway.
  const replays =
    signingKey === undefined
      ? undefined
      : new ReplayGuard({ maxAgeMs: context.config.max_command_age * 1000, file: join(context.config.state_dir, 'signed-commands') });
  let tail: Promise<unknown> = Promise.resolve();

  const reply = async (message: IncomingMessage, value: CommandReply, log: Logger): Promise<void> => {
    const replyTo = message.properties.replyTo;
    if (replyTo === undefined || replyTo === '') {
      log.warn({ status: value.status }, 'command without reply_to; nothing sent');
      return;
    }
    const encoded = encodeBody(value);
    const { correlationId } = message.properties;
    // With a key every reply is signed — refusals too — so the VNFM can tell this agent's answers from forged ones.
    const signature = signingKey === undefined ? undefined : signReply(signingKey, { body: encoded.body, correlationId, hostname });
    await transport.publish('', replyTo, encoded.body, {
      ...encoded.properties,
      ...(signature !== undefined ? { headers: { [REPLY_SIGNATURE_HEADER]: signature } } : {}),
      contentType: CONTENT_TYPE,
      ...(message.properties.correlationId !== undefined ? { correlationId: message.properties.correlationId } : {}),
    });
    log.debug({ status: value.status }, 'reply sent');
  };

  /** Without a key: nothing to check. With one: the signing time, or why the command is refused. */
  const verify = (message: IncomingMessage): { signedAt?: number; refusal?: string } => {
    if (signingKey === undefined) return {};
    const signature = headerText(message.properties.headers?.[SIGNATURE_HEADER]);
    if (signature === undefined)
      return { refusal: `command refused: missing ${SIGNATURE_HEADER} header (this agent requires signed commands)` };
    // Checked against this agent's own queue (not the delivery's routing key) and the reply_to that arrived.
    const check = verifyCommandSignature(signingKey, {
      body: message.body,
      correlationId: message.properties.correlationId,
      routingKey: queue,
      replyTo: message.properties.replyTo,
      signature,
    });
    if (!check.ok) return { refusal: `command refused: ${SIGNATURE_HEADER}: ${check.reason}` };
    // The age comes first, before the execution records are looked at: a replay past max_command_age gets
    // nothing, not even a recorded reply, and neither does an interrupted idempotent command re-run below.
    const tooOld = replays?.checkAge(check.signedAt);
    return tooOld === undefined ? { signedAt: check.signedAt } : { refusal: `command refused: ${tooOld}` };
  };

  const handle = async (message: IncomingMessage): Promise<void> => {
    const key = message.properties.correlationId ?? message.properties.messageId;
    const log = options.logger.child({ correlationId: key });
    const limit = context.config.max_command_bytes;
    if (message.body.length > limit) {
      // Refused before the signature check and decoding, so an oversized body costs no more work.
      const reason = `command refused: body of ${message.body.length} bytes exceeds max_command_bytes (${limit})`;
      log.warn({ bytes: message.body.length, limit }, 'oversized command refused');
      await reply(message, failure(reason), log);
      return;
    }
    const { signedAt, refusal } = verify(message);
    if (refusal !== undefined) {
      log.warn({ reason: refusal }, 'unsigned, mis-signed or stale command refused');
      await reply(message, failure(refusal), log);
      return;
    }
    let command: EmsCommand;
    try {
      command = await decodeCommand(message.body);
    } catch (error) {
      const reason = decodeFailure(error);
      // The reason may quote the body (env values of an EXECUTE): the log gets it without the quote.
      log.warn({ reason: redactBodyReason(reason) }, 'undecodable command refused');
      await reply(message, failure(reason), log);
      return;
    }
    const commandLog = log.child({ action: command.action });
    const base = key !== undefined ? { key, bodyHash: hashBody(message.body), action: command.action } : undefined;

    // A repeat — redelivered by the broker, or sent again by a VNFM that may have lost the reply (marked
    // with the dedup header, as the hello invites; a signature binds the id too) — is answered from the
    // record. An unmarked command always runs: no sender but a marking vnfkit VNFM promises unique ids, so an
    // id alone proves nothing. A command without any id (Open Baton's Java Generic VNFM sends none: Spring
    // AMQP 1.7 `convertSendAndReceive`) is never recorded, so it is never taken for a repeat of another, and
    // its reply carries no id either. Commands run one at a time, so a record still "started" when its repeat
    // gets here belongs to a run cut short by an agent restart.
    const dedup =
      message.redelivered ||
      signedAt !== undefined ||
      headerText(message.properties.headers?.[DEDUP_HEADER]) === DEDUPLICATES_BY_CORRELATION_ID;
    let rerun = false;
    if (base !== undefined && dedup) {
      const record = await store.get(base.key);
      if (record !== undefined && record.bodyHash === base.bodyHash) {
        const repeat = message.redelivered ? 'redelivered' : 'repeated';
        if (record.state === 'finished' && record.reply) {
          commandLog.info({ status: record.reply.status }, `${repeat} command answered from the execution record`);
          await reply(message, record.reply, commandLog);
          return;
        }
        if (command.action === 'EXECUTE') {
          const interrupted = failure(INTERRUPTED_ERR);
          commandLog.warn(`${repeat} EXECUTE was interrupted by an agent restart; not re-run`);
          await store
            .markFinished(base, interrupted)
            .catch((error: unknown) => commandLog.error({ err: error }, 'cannot write the execution record'));
          await reply(message, interrupted, commandLog);
          return;
        }
        commandLog.info(`${repeat} command was interrupted; re-running it (it is idempotent)`);
        rerun = true;
      }
    }

    // A signed command that is no known repeat runs only while fresh, and only once (an interrupted
    // idempotent one, re-run above, was admitted the first time).
    const replay = signedAt !== undefined && key !== undefined && !rerun ? replays?.admit(key, signedAt) : undefined;
    if (replay !== undefined) {
      const reason = `command refused: ${replay}`;
      commandLog.warn({ reason }, 'replayed or stale signed command refused');
      await reply(message, failure(reason), commandLog);
      return;
    }

    if (base !== undefined) {
      await store.markStarted(base).catch((error: unknown) => commandLog.error({ err: error }, 'cannot write the execution record'));
    }
    let result: CommandReply;
    try {
      result = await runCommand(command, { ...context, logger: commandLog });
    } catch (error) {
      commandLog.error({ err: error }, 'command failed unexpectedly');
      result = failure(`${command.action} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (base === undefined) {
      await reply(message, result, commandLog);
      return;
    }
    // The reply goes out first, then the finished record is written; the ack waits for both. The
    // record is only read for a redelivery, which can only follow a missing ack; if the agent dies
    // before the record is complete, the journal's "started" record answers "interrupted" — the
    // command is never run twice.
    const sent = reply(message, result, commandLog);
    const recorded = store
      .markFinished(base, result)
      .catch((error: unknown) => commandLog.error({ err: error }, 'cannot write the execution record'));
    try {
      await sent;
    } finally {
      await recorded;
    }
  };

  return (message) => {
    const run = tail.then(() => handle(message));
    tail = run.catch(() => undefined);
    return run;
  };
}
