import { TimeoutError, decodeManagerMessage, encodeMessage, toError } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { IncomingMessage, Transport } from '@vnfkit/transport';
import type { BrokerAccounts } from '../broker-accounts.js';

/** The inputs of {@link Registration}. */
export interface RegistrationDeps {
  transport: Transport;
  /** The NFVO's broker users (see `NfvoSimulatorOptions.accounts`). */
  accounts?: BrokerAccounts | undefined;
  /** Credentials returned on `register` when there are no {@link accounts}. @default guest/guest */
  credentials?: { username: string; password: string } | undefined;
  log: Logger;
}

/** VNFM registration on the NFVO's manager queue: the registered VNFM types, their endpoints and broker users. */
export class Registration {
  /** Registered VNFM types → endpoints. */
  readonly endpoints = new Map<string, string>();

  constructor(private readonly deps: RegistrationDeps) {}

  /** A `register` or `unregister` from a VNFM. */
  async onManagerMessage(message: IncomingMessage): Promise<void> {
    const { accounts, log } = this.deps;
    try {
      const msg = decodeManagerMessage(message.body);
      if (msg.action === 'register') {
        this.endpoints.set(msg.vnfmManagerEndpoint.type, msg.vnfmManagerEndpoint.endpoint);
        log.info({ type: msg.type }, 'VNFM registered');
        // Re-registration returns the same credentials again, as the NFVO does.
        const credentials = accounts
          ? await accounts.registerVnfm({ type: msg.type, endpoint: msg.vnfmManagerEndpoint.endpoint })
          : (this.deps.credentials ?? { username: 'guest', password: 'guest' });
        if (message.properties.replyTo) {
          await this.deps.transport.reply(
            message,
            encodeMessage({ rabbitUsername: credentials.username, rabbitPassword: credentials.password }).body,
            encodeMessage(null).properties,
          );
        }
      } else {
        this.endpoints.delete(msg.type);
        await accounts?.unregisterVnfm(msg.type);
        log.info({ type: msg.type }, 'VNFM unregistered');
      }
    } catch (error) {
      // The NFVO answers nothing on a bad registration; the VNFM retries.
      log.error({ err: toError(error).message }, 'invalid manager message dropped');
    }
  }

  /**
   * Waits until a VNFM of `type` registered and its endpoint queue exists. Open Baton's SDKs register before they
   * declare that queue (AbstractVnfmSpringAmqp.java 6.0.0:286-295), and a command published in between reaches
   * no queue: the NFVO's would be dropped without a word (not mandatory, RabbitTemplate.java 1.7.7:191).
   */
  async waitForVnfm(type: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const endpoint = this.endpoints.get(type);
      if (endpoint !== undefined && (await this.deps.transport.inspectQueue(endpoint)) !== undefined) return;
      if (Date.now() > deadline) {
        throw new TimeoutError(
          endpoint === undefined ? `VNFM ${type} to register` : `VNFM ${type} to declare its endpoint queue ${endpoint}`,
          timeoutMs,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
