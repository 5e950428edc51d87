import { EXCHANGE, decodeVnfmMessage, encodeMessage, recordOf, toError, type VnfmMessage } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { Transport } from '@vnfkit/transport';
import { isJsonNull } from '../../nfvo/nfvo-client.js';
import type { Nsr, Records } from './records.js';

/** A message crossing the simulated NFVO's boundary (for tests and the demo's progress output). */
export interface MessageEvent {
  direction: 'to-vnfm' | 'from-vnfm';
  action: string;
  body: unknown;
}

/** What the NFVO does with a VNFM's reply to a command of an NSR (`vnfrName`: the VNFR the command was for). */
export type ReplyHandler = (nsr: Nsr, reply: VnfmMessage, vnfrName?: string) => Promise<void>;

/** A command to a VNFM about one VNFR of an NSR. */
export interface CommandInput {
  message: Record<string, unknown>;
  endpoint: string;
  vnfrName: string;
  context?: { component?: string | undefined };
}

/** The inputs of {@link Commands}. */
export interface CommandsDeps {
  transport: Transport;
  records: Records;
  /** Runs the NFVO's task for each reply. */
  onReply: ReplyHandler;
  emit: (event: MessageEvent) => void;
  log: Logger;
  /** Deadline for each VNFM reply, in ms. */
  timeoutMs: number;
  /** Whether commands carry a correlation id. */
  correlationIds: boolean;
}

/**
 * NFVO → VNFM commands, sent as Open Baton's NFVO sends them (Spring AMQP `convertSendAndReceive`): each waits for
 * its reply, which goes to {@link CommandsDeps.onReply}; a VNFM that does not answer puts the VNFR in ERROR.
 * Commands the NFVO sends without waiting (`@Async`) are tracked until {@link drain}.
 */
export class Commands {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: CommandsDeps) {}

  /** Runs `p` in the background; a failure is logged. */
  track(p: Promise<unknown>): void {
    const guarded = p.catch((error: unknown) => this.deps.log.error({ err: toError(error).message }, 'simulator operation failed'));
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }

  /** Waits for the operations in flight. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Sends `message` to the VNFM at `endpoint` and returns its reply (null: the VNFM answered the JSON `null`). */
  async request(endpoint: string, message: Record<string, unknown>): Promise<VnfmMessage | null> {
    const { transport, emit } = this.deps;
    emit({ direction: 'to-vnfm', action: String(message['action']), body: message });
    const reply = await transport.request(EXCHANGE, endpoint, encodeMessage(message).body, {
      timeoutMs: this.deps.timeoutMs,
      waitedFor: `VNFM ${endpoint} to answer ${String(message['action'])}`,
      // As Open Baton's NFVO (Spring's RabbitTemplate) sends them: a command waiting in the VNFM's durable
      // endpoint queue survives a broker restart.
      persistent: true,
      withoutCorrelationId: !this.deps.correlationIds,
      // Unlike the NFVO (not mandatory: an unroutable command is dropped and waited for until the timeout),
      // a command no queue takes is reported: the TimeoutError then says that the broker returned it.
      retryUnroutable: true,
    });
    if (isJsonNull(reply.body)) {
      emit({ direction: 'from-vnfm', action: 'null', body: null });
      return null;
    }
    const decoded = decodeVnfmMessage(reply.body);
    emit({ direction: 'from-vnfm', action: decoded.action, body: decoded });
    return decoded;
  }

  /** Sends a command about a VNFR of `nsr` and runs the NFVO's task on the reply. */
  async command(nsr: Nsr, input: CommandInput): Promise<void> {
    const { records, log } = this.deps;
    let reply: VnfmMessage | null;
    try {
      reply = await this.request(input.endpoint, input.message);
      if (!records.findNsr(nsr.id)) {
        // Deleted meanwhile (faults.answerNull 'nsr-deleted'): the NFVO runs no task for it (VnfStateHandler.java:124-128).
        log.info({ nsrId: nsr.id, action: reply?.action ?? 'null' }, 'reply for a deleted NSR dropped');
        return;
      }
    } catch (error) {
      if (!records.findNsr(nsr.id)) return;
      // A VNFM that never answers (or answers garbage) fails the VNFR instead of hanging the NFVO — also one
      // that never got as far as GRANT_OPERATION (the command lost), so the NS shows ERROR, not NULL forever.
      const vnfr = recordOf(input.message) ?? records.findByName(nsr, input.vnfrName) ?? { name: input.vnfrName };
      records.fail(nsr, vnfr, toError(error).message);
      return;
    }
    if (reply) await this.deps.onReply(nsr, reply, input.vnfrName);
  }
}
