/**
 * Deliveries of the command queue and the operation journal: the journal key of a command, redeliveries (of a
 * command still running, or already answered), and the answer to the commands a previous process left unanswered.
 */
import { createHash } from 'node:crypto';
import { encodeMessage, toError, vnfmErrorMessage } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { JournalRecord, OperationJournal } from '../journal/operation-journal.js';
import type { IncomingMessage, Transport } from '@vnfkit/transport';
import type { InterruptedContext, VnfmHooks } from './hooks.js';

/** What {@link Deliveries} needs. */
export interface DeliveriesInput {
  journal: OperationJournal;
  transport: Transport;
  logger: Logger;
  /** The VNFM type, named in the ERROR answer of an interrupted command. */
  vnfmType: string;
  hooks: Pick<VnfmHooks, 'onInterrupted'>;
  /** Runs a command and answers it; `key` is its journal key (none: it is not journaled). */
  handleCommand: (delivery: IncomingMessage, key: string | undefined) => Promise<void>;
}

/** The deliveries of one connected VNFM. */
export class Deliveries {
  /** Commands being handled in this process, by correlation id (a redelivery waits for the original). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly input: DeliveriesInput) {}

  /**
   * Commands are journaled under {@link commandKey}: a redelivery of a command still running here waits for it,
   * one already answered is acknowledged without running it again, and one a previous process left unanswered
   * is answered from the journal (see {@link answerInterrupted}).
   */
  async handle(delivery: IncomingMessage): Promise<void> {
    const key = this.commandKey(delivery);
    if (key === undefined) return this.input.handleCommand(delivery, undefined);
    const running = this.inFlight.get(key);
    if (running) {
      this.input.logger.warn({ commandKey: key }, 'redelivery of a command still running; it is answered once, when it finishes');
      await running;
      return;
    }
    const known = this.input.journal.get(key);
    if (known) {
      await this.finishFromJournal(known);
      return;
    }
    const work = this.input.handleCommand(delivery, key);
    this.inFlight.set(key, work);
    try {
      await work;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * What identifies a command across redeliveries and VNFM restarts (none without `reply_to`: nobody waits).
   * With a correlation id, that id. Open Baton's NFVO sends none (Spring AMQP 1.7 `convertSendAndReceive`,
   * `RabbitTemplate.doSendAndReceiveWithTemporary`): then its reply address — RabbitMQ makes a new direct
   * reply-to address for every consume, and Spring consumes once per request — with a digest of the body.
   * Only a broker redelivery (`redelivered`) can repeat a command: a fresh delivery under a known key (a
   * sender that reuses a reply queue and sends the same body again) is a new command and gets the next
   * generation of the key, `<key>#<n>`; a redelivery belongs to the newest generation.
   */
  private commandKey(delivery: IncomingMessage): string | undefined {
    const { replyTo, correlationId } = delivery.properties;
    if (!replyTo) return undefined;
    if (correlationId !== undefined) return correlationId;
    const base = `reply-to ${replyTo} sha256 ${createHash('sha256').update(delivery.body).digest('base64url')}`;
    let newest: string | undefined;
    for (let n = 1; ; n++) {
      const key = n === 1 ? base : `${base}#${n}`;
      if (this.input.journal.get(key) === undefined && !this.inFlight.has(key)) return delivery.redelivered ? (newest ?? key) : key;
      newest = key;
    }
  }

  /** Answers the commands a previous process of this VNFM received but did not answer (it crashed). */
  async answerInterrupted(): Promise<void> {
    const { journal, logger } = this.input;
    for (const record of journal.interrupted()) {
      if (journal.get(record.key)?.step === 'answered') continue;
      await this.finishFromJournal(record).catch((error: unknown) =>
        logger.error({ commandKey: record.key, err: toError(error).message }, 'could not answer an interrupted command; retrying on its redelivery'),
      );
    }
  }

  private async finishFromJournal(record: JournalRecord): Promise<void> {
    const { journal, transport, hooks, vnfmType } = this.input;
    const log = this.input.logger.child({ action: record.action, vnfrId: record.vnfrId, vnfrName: record.vnfrName, commandKey: record.key });
    if (record.step === 'answered') {
      log.warn('redelivery of a command already answered; acknowledged without running it again');
      return;
    }
    let body = record.reply;
    if (body === undefined) {
      const ctx: InterruptedContext = { action: record.action, vnfr: record.vnfr, step: record.step, logger: log };
      await hooks.onInterrupted(ctx).catch((error: unknown) => log.error({ err: toError(error).message }, 'onInterrupted hook failed'));
      const what = `${record.action}${record.vnfrName ? ` of VNFR ${record.vnfrName}` : ''}`;
      const message = `VNFM ${vnfmType} was restarted while running ${what} (last step: ${record.step}); the operation was not completed and is not re-run`;
      body = Buffer.from(encodeMessage(vnfmErrorMessage({ vnfr: record.vnfr, message })).body).toString('utf8');
      await journal.step(record.key, 'replying', { reply: body });
    } else {
      log.warn('re-sending the stored answer of a command whose acknowledgement was lost');
    }
    // The reply carries the command's correlation id, or none when the command had none (as Spring answers).
    const properties = { ...encodeMessage(null).properties, ...(record.correlationId !== undefined ? { correlationId: record.correlationId } : {}) };
    if (record.replyTo) await transport.publish('', record.replyTo, body, properties);
    await journal.step(record.key, 'answered');
  }
}
