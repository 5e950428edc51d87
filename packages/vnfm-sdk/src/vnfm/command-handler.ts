/**
 * One NFVO command from delivery to answer: the size limit, decoding, journaling its steps, one command at a
 * time per VNFR, {@link dispatch}, and the reply (ERROR when the hook or the flow failed).
 */
import { createHash } from 'node:crypto';
import {
  decodeNfvoCommand,
  encodeMessage,
  recordOf,
  toError,
  vnfmErrorMessage,
  type NfvoCommand,
  type VirtualNetworkFunctionRecord,
  type VnfmMessage,
} from '@vnfkit/protocol';
import type { JournalRecord, OperationJournal } from '../journal/operation-journal.js';
import { runInOperation } from '../ems/operation-context.js';
import { NFVO_REPLY_PROPERTIES } from '../nfvo/nfvo-client.js';
import type { IncomingMessage } from '@vnfkit/transport';
import { dispatch, type DispatchInput } from './dispatch.js';
import type { FlowInput, Tracker } from './flow.js';
import { salvageRecord } from './records.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** What a {@link CommandHandler} needs: the dispatch inputs (its `logger` is the VNFM's) and the journal. */
export interface CommandHandlerInput extends FlowInput<keyof DispatchInput['hooks']> {
  journal: OperationJournal;
}

/** Handles the commands of one connected VNFM. */
export class CommandHandler {
  /** The tail of the commands running per VNFR (by id, or name), so that they run one after the other. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly input: CommandHandlerInput) {}

  /**
   * Handles a delivery; `key` is its journal key (none: it is not journaled). `resumeFrom`: the journal record of
   * this command from a replica that is gone, when it is run again from there (see `Deliveries`).
   */
  async handle(delivery: IncomingMessage, key: string | undefined, resumeFrom?: JournalRecord): Promise<void> {
    const { journal, logger, options } = this.input;
    const limit = options.maxCommandBytes;
    if (delivery.body.length > limit) {
      const message = `VNFM ${options.type} refuses a command of ${delivery.body.length} bytes: the limit is ${limit} bytes (maxCommandBytes)`;
      logger.error(
        { bytes: delivery.body.length, limit, correlationId: delivery.properties.correlationId },
        'oversized NFVO command refused',
      );
      if (delivery.properties.replyTo) await this.reply(delivery, vnfmErrorMessage({ message }));
      return;
    }
    let command: NfvoCommand;
    try {
      command = decodeNfvoCommand(delivery.body);
    } catch (error) {
      const salvaged = salvageRecord(delivery.body);
      logger.error({ err: toError(error).message, correlationId: delivery.properties.correlationId }, 'undecodable NFVO command');
      if (delivery.properties.replyTo) {
        await this.reply(
          delivery,
          vnfmErrorMessage({ vnfr: salvaged, message: `VNFM ${options.type} could not decode the command: ${toError(error).message}` }),
        );
      }
      return;
    }
    const vnfr = recordOf(command);
    const log = logger.child({ action: command.action, vnfrId: vnfr?.id, vnfrName: vnfr?.name });
    const lockKey = vnfr?.id ?? vnfr?.name;
    const track: Tracker = key === undefined ? async () => undefined : (step, patch) => journal.step(key, step, patch);
    if (resumeFrom === undefined) {
      await track('received', {
        action: command.action,
        vnfrId: vnfr?.id,
        vnfrName: vnfr?.name,
        replyTo: delivery.properties.replyTo,
        correlationId: delivery.properties.correlationId,
        vnfr,
      });
    } else {
      log.warn({ step: resumeFrom.step }, 'running a command again that a replica which is gone had started');
      await track(resumeFrom.step, {});
    }
    const handle = (): Promise<VnfmMessage | null> => dispatch({ ...this.input, command, logger: log, track, resumeFrom });
    // EMS commands sent for a journaled command get ids derived from it and its body (ems/operation-context.ts): the
    // body too, because a sender's correlation ids may repeat across its restarts (Spring's counters start at 1).
    const operation = key === undefined ? undefined : `${key}\n${createHash('sha256').update(delivery.body).digest('base64url')}`;
    const run = operation === undefined ? handle : () => runInOperation(operation, handle);
    let reply: VnfmMessage | null;
    try {
      reply = lockKey ? await this.serialised(lockKey, run) : await run();
    } catch (error) {
      const e = toError(error);
      log.error({ err: e.message }, 'command failed; replying ERROR');
      reply = vnfmErrorMessage({ vnfr: (error as { vnfr?: Vnfr }).vnfr ?? vnfr, message: e.message });
    }
    if (delivery.properties.replyTo) await this.reply(delivery, reply, track);
    else if (reply) log.warn('command without reply_to; result not sent');
  }

  /** The reply is journaled before it is sent and marked answered once the broker confirmed it. */
  private async reply(delivery: IncomingMessage, message: VnfmMessage | null, track?: Tracker): Promise<void> {
    const encoded = encodeMessage(message);
    await track?.('replying', { reply: Buffer.from(encoded.body).toString('utf8') });
    await this.input.transport.reply(delivery, encoded.body, NFVO_REPLY_PROPERTIES);
    await track?.('answered');
  }

  private async serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}
