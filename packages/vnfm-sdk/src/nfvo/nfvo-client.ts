import {
  EXCHANGE,
  NFVO_MANAGER_HANDLING,
  VNFM_NFVO_ACTIONS_REPLY,
  decodeManagerCredentials,
  decodeNfvoCommand,
  encodeMessage,
  type ManagerCredentials,
  type NfvoCommand,
  type VnfmManagerEndpoint,
  type VnfmMessage,
} from '@vnfkit/protocol';
import { NfvoRefusedError } from '../errors.js';
import type { Transport } from '@vnfkit/transport';

/**
 * Properties of an answer on the NFVO link as Spring AMQP sends it on both sides (the NFVO's listeners, a Java VNFM):
 * JSON, and persistent — Spring's default delivery mode (spring-amqp 1.7.7 `MessageProperties.java:62`) — so an
 * answer waiting in a queue (a lasting reply queue; direct reply-to has none) outlives a broker restart.
 */
export const NFVO_REPLY_PROPERTIES = Object.freeze({ ...encodeMessage(null).properties, persistent: true });

/** The endpoint object a VNFM registers with. */
export function managerEndpoint(input: { type: string; endpoint: string; description: string }): VnfmManagerEndpoint {
  return {
    type: input.type,
    endpoint: input.endpoint,
    endpointType: 'RABBIT',
    description: input.description,
    enabled: true,
    active: true,
  };
}

/** `register` RPC (nfvo-vnfm §2.1) with a per-try timeout and bounded retries. */
export async function registerWithNfvo(
  transport: Transport,
  input: { endpoint: VnfmManagerEndpoint; timeoutMs: number; attempts: number; onRetry?: (attempt: number, error: Error) => void },
): Promise<ManagerCredentials> {
  const body = encodeMessage({ type: input.endpoint.type, action: 'register', vnfmManagerEndpoint: input.endpoint }).body;
  let last: Error | undefined;
  for (let attempt = 1; attempt <= input.attempts; attempt++) {
    try {
      const reply = await transport.request(EXCHANGE, NFVO_MANAGER_HANDLING, body, {
        timeoutMs: input.timeoutMs,
        waitedFor: `the NFVO's answer to register of VNFM type ${input.endpoint.type}`,
      });
      return decodeManagerCredentials(reply.body);
    } catch (error) {
      last = error as Error;
      input.onRetry?.(attempt, last);
    }
  }
  throw last ?? new Error('registration failed');
}

/** One-way `unregister` (§2.2). */
export async function unregisterFromNfvo(
  transport: Transport,
  input: { endpoint: VnfmManagerEndpoint; credentials: ManagerCredentials },
): Promise<void> {
  const message = {
    action: 'unregister',
    type: input.endpoint.type,
    username: input.credentials.rabbitUsername,
    password: input.credentials.rabbitPassword,
    vnfmManagerEndpoint: input.endpoint,
  };
  await transport.publish(EXCHANGE, NFVO_MANAGER_HANDLING, encodeMessage(message).body, encodeMessage(null).properties);
}

/**
 * Sends a VNFM → NFVO request on `vnfm.nfvo.actions.reply` and returns the decoded answer; an ERROR answer
 * becomes {@link NfvoRefusedError} (carrying the NFVO's VNFR), silence a TimeoutError. The NFVO answers the JSON
 * `null` when its task failed in a way it has no message for, or the NSR was deleted meanwhile
 * (`AbstractTask.run` in openbaton/NFVO 6.0.0); that is returned as `null`, for the caller to handle as the
 * Java VNFM SDK does (`AbstractVnfm` 6.0.0 replies `null` to the INSTANTIATE it was running, AV:329-331, 353-355).
 */
export async function requestNfvo(
  transport: Transport,
  input: { message: VnfmMessage; timeoutMs: number; what: string },
): Promise<NfvoCommand | null> {
  const reply = await transport.request(EXCHANGE, VNFM_NFVO_ACTIONS_REPLY, encodeMessage(input.message).body, {
    timeoutMs: input.timeoutMs,
    waitedFor: `the NFVO's answer to ${input.what}`,
    // As a Java VNFM sends it (persistent, see NFVO_REPLY_PROPERTIES): a request waiting in the NFVO's durable
    // queue survives a broker restart.
    persistent: true,
  });
  if (isJsonNull(reply.body)) return null;
  const answer = decodeNfvoCommand(reply.body);
  if (answer.action === 'ERROR') throw new NfvoRefusedError(input.what, answer.message ?? '(no message)', answer.vnfr);
  return answer;
}

/** Whether a body is the JSON `null` (a few bytes at most: a VNFR is never decoded to text to find out). */
export function isJsonNull(body: Buffer): boolean {
  return body.length <= 16 && body.toString('utf8').trim() === 'null';
}
