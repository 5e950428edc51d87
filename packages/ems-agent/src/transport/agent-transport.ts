import { ConfigError } from '@vnfkit/protocol';
import { AmqpTransport, type Transport, type TransportEvent } from '@vnfkit/transport';
import type { Logger } from 'pino';
import type { ResolvedEmsConfig } from '../config.js';
import { brokerUrls } from '../config.js';
import { configError } from '../errors.js';

/**
 * The messaging operations the agent uses. Any vnfkit `Transport` has them, so a `MemoryTransport` runs an
 * agent in-process (the SDK's test kit does) and the daemon uses an `AmqpTransport` from {@link createAgentTransport}.
 */
export interface AgentTransport extends Pick<Transport, 'declareQueue' | 'bindQueue' | 'publish' | 'consume' | 'close'> {
  on(event: TransportEvent, listener: () => void): unknown;
  off(event: TransportEvent, listener: () => void): unknown;
}

/**
 * How the agent's transport differs from the SDK's: a publish cut off by a lost connection is sent again on the
 * next one (hellos and replies: the VNFM takes each once); a binding that cannot be restored (the NFVO has not
 * declared its exchange yet) fails the connect attempt, which is retried; and one channel does everything, so
 * each of thousands of agents costs its broker node one channel, not three (docs/scaling.md).
 */
export const AGENT_TRANSPORT_MODE = { resendPublishes: true, strictRestore: true, oneChannel: true } as const;

/** First reconnect delay of the agent, in milliseconds. */
const RECONNECT_INITIAL_DELAY_MS = 500;

/**
 * The daemon's broker connection: the shared `AmqpTransport` in {@link AGENT_TRANSPORT_MODE}. It is created idle
 * (the agent declares and binds its actions queue and consumes it first) and, once started, connects in the
 * background and retries for ever: a VM may boot long before its broker is reachable. With several broker URLs
 * (`amqp_url` list, `broker_ips`) it moves to the next node when its node goes away.
 */
export async function createAgentTransport(config: ResolvedEmsConfig, logger: Logger): Promise<AmqpTransport> {
  try {
    return await AmqpTransport.create({
      urls: brokerUrls(config),
      heartbeatSeconds: config.heartbeat,
      connectionName: `vnfkit-ems ${config.hostname}`,
      reconnect: {
        initialDelayMs: RECONNECT_INITIAL_DELAY_MS,
        maxDelayMs: Math.max(RECONNECT_INITIAL_DELAY_MS, config.reconnect_max_delay * 1000),
        jitter: 0.5,
      },
      ...AGENT_TRANSPORT_MODE,
      logger,
      ...(config.tls_ca_file !== undefined ? { caFile: config.tls_ca_file } : {}),
    });
  } catch (error) {
    // The transport reads the CA file once, here: a missing one is a config error at start, not a connect retry loop.
    const caFile = config.tls_ca_file;
    if (!(error instanceof ConfigError) || caFile === undefined || !error.message.includes(caFile)) throw error;
    const problem = `tls_ca_file: ${error.message}`;
    throw configError(problem, [problem], error);
  }
}
