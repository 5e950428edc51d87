/**
 * Deliveries of the command queue and the operation journal: the journal key of a command, redeliveries (of a
 * command still running, or already answered), and the answer to the commands a previous process left unanswered.
 */
import { createHash } from 'node:crypto';
import { encodeMessage, toError, vnfmErrorMessage } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { JournalRecord, OperationJournal } from '../journal/operation-journal.js';
import { NFVO_REPLY_PROPERTIES } from '../nfvo/nfvo-client.js';
import { RequeueError, type IncomingMessage, type Transport } from '@vnfkit/transport';
import type { InterruptedContext, VnfmHooks } from './hooks.js';
import type { ReplicaPresence } from './presence.js';

/**
 * Whether a command a replica that is gone had started can be run again by another: nothing sent to the NFVO yet
 * (`received`), or an INSTANTIATE whose VMs exist (`allocated`: only its `instantiate` hook runs again). Its EMS
 * commands are repeated with the same correlation ids (ems/operation-context.ts), which a deduplicating agent
 * answers from its records. Not while a GRANT or ALLOCATE answer is outstanding: that request cannot be repeated.
 */
function continuable(record: JournalRecord): boolean {
  return record.step === 'received' || (record.step === 'allocated' && record.action === 'INSTANTIATE' && record.vnfr !== undefined);
}

/** How often a replica looks again at a command another replica is running. */
const OWNER_POLL_MS = 500;

/** Pause before a command that could not be journaled or answered goes back to the queue (no tight redelivery loop). */
const REQUEUE_PAUSE_MS = 1_000;

/** What {@link Deliveries} needs. */
export interface DeliveriesInput {
  journal: OperationJournal;
  transport: Transport;
  logger: Logger;
  /** The VNFM type, named in the ERROR answer of an interrupted command. */
  vnfmType: string;
  hooks: Pick<VnfmHooks, 'onInterrupted'>;
  /** Runs a command and answers it; `key` is its journal key (none: it is not journaled); `resumeFrom`: see CommandHandler. */
  handleCommand: (delivery: IncomingMessage, key: string | undefined, resumeFrom?: JournalRecord) => Promise<void>;
  /** Replicas (a shared journal): who is alive, and how long one must be gone before its commands are taken over. */
  replicas?: { presence: ReplicaPresence; takeoverGraceMs: number } | undefined;
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
    const { journal } = this.input;
    // A redelivery may be of a command another replica journaled a moment ago: read the shared journal up to now.
    if (delivery.redelivered && journal.shared) await this.requeueOnFailure(journal.sync(), 'read the shared operation journal for');
    const key = this.commandKey(delivery);
    if (key === undefined) return this.input.handleCommand(delivery, undefined);
    const running = this.inFlight.get(key);
    if (running) {
      this.input.logger.warn({ commandKey: key }, 'redelivery of a command still running; it is answered once, when it finishes');
      await running;
      return;
    }
    const known = journal.get(key);
    const owner = known?.owner;
    const ownedElsewhere =
      known !== undefined && known.step !== 'answered' && journal.shared && owner !== undefined && owner !== journal.owner;
    if (known !== undefined && !ownedElsewhere) return this.requeueOnFailure(this.finishFromJournal(known), 'answer');
    const work = ownedElsewhere ? this.awaitOwner(delivery, key, owner) : this.input.handleCommand(delivery, key);
    this.inFlight.set(key, work);
    try {
      await this.requeueOnFailure(work, 'journal or answer');
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * A command that could not be journaled or answered — the broker (or the shared journal on it) out of reach —
   * goes back to the queue instead of being dropped; its redelivery is answered from what the journal holds.
   */
  private async requeueOnFailure(work: Promise<void>, what: string): Promise<void> {
    try {
      await work;
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
      throw new RequeueError(`could not ${what} the command: ${toError(error).message}`, { cause: error });
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

  /**
   * A command another replica was running when the broker gave it to this one (that replica's connection dropped,
   * so the single active consumer moved here): it is answered once — by that replica when it is still alive and
   * finishes it (this one then only acknowledges it), else from the journal by this one once the other has been
   * gone for `takeoverGraceMs` (a reconnecting replica announces itself again within that time).
   */
  private async awaitOwner(delivery: IncomingMessage, key: string, owner: string): Promise<void> {
    const { journal, logger, replicas } = this.input;
    const log = logger.child({ commandKey: key, owner });
    log.warn('redelivery of a command another replica is running; waiting for it to answer');
    let goneSince: number | undefined;
    for (;;) {
      const record = journal.get(key);
      if (record === undefined || record.step === 'answered') {
        log.info('the other replica answered the command; acknowledged here without running it');
        return;
      }
      if (record.owner === journal.owner) return this.finishFromJournal(record);
      const alive = replicas === undefined ? false : await replicas.presence.alive(record.owner ?? owner).catch(() => true);
      if (alive) goneSince = undefined;
      else goneSince ??= Date.now();
      if (goneSince !== undefined && Date.now() - goneSince >= (replicas?.takeoverGraceMs ?? 0)) {
        if (continuable(record)) {
          log.warn({ step: record.step }, 'the replica running the command is gone; running it again from its last journaled step');
          return this.input.handleCommand(delivery, key, record);
        }
        log.warn({ step: record.step }, 'the replica running the command is gone; answering it from the journal');
        return this.finishFromJournal(record);
      }
      await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
      // The shared journal out of reach for a moment (a node stopped, a stream leader moving): look again later.
      await journal.sync().catch((error: unknown) => log.warn({ err: toError(error).message }, 'cannot read the shared journal up to now'));
    }
  }

  /** Answers the commands a previous process of this VNFM received but did not answer (it crashed). */
  async answerInterrupted(): Promise<void> {
    const { journal, logger } = this.input;
    for (const record of journal.interrupted()) {
      if (journal.get(record.key)?.step === 'answered') continue;
      await this.finishFromJournal(record).catch((error: unknown) =>
        logger.error(
          { commandKey: record.key, err: toError(error).message },
          'could not answer an interrupted command; retrying on its redelivery',
        ),
      );
    }
  }

  private async finishFromJournal(record: JournalRecord): Promise<void> {
    const { journal, transport, hooks, vnfmType } = this.input;
    const log = this.input.logger.child({
      action: record.action,
      vnfrId: record.vnfrId,
      vnfrName: record.vnfrName,
      commandKey: record.key,
    });
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
    const properties = {
      ...NFVO_REPLY_PROPERTIES,
      ...(record.correlationId !== undefined ? { correlationId: record.correlationId } : {}),
    };
    if (record.replyTo) await transport.publish('', record.replyTo, body, properties);
    await journal.step(record.key, 'answered');
  }
}
