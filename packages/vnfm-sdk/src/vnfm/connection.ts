/** Opening the VNFM's transports, declaring its endpoint queue and registering with the NFVO. */
import { EXCHANGE, toError, type ManagerCredentials, type VnfmManagerEndpoint } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import type { BrokerCredentials, ResolvedVnfmOptions } from '../config.js';
import { registerWithNfvo } from '../nfvo/nfvo-client.js';
import { createAmqpTransport, splitUrls } from '@vnfkit/transport';
import type { Transport } from '@vnfkit/transport';

/** The VNFM's options and its logger. */
export interface ConnectionInput {
  options: ResolvedVnfmOptions;
  logger: Logger;
}

/** Opens a transport as `credentials` (none: the URL's); `bootstrap`: the connection only registers. */
export async function openTransport(
  { options, logger }: ConnectionInput,
  { credentials, bootstrap = false }: { credentials: BrokerCredentials | undefined; bootstrap?: boolean },
): Promise<Transport> {
  if (options.transportFactory) return options.transportFactory(credentials);
  // One URL, or the nodes of a RabbitMQ cluster comma-separated: the same account on each.
  const urls = splitUrls(options.amqpUrl).map((text) => {
    const url = new URL(text);
    if (credentials) {
      url.username = encodeURIComponent(credentials.username);
      url.password = encodeURIComponent(credentials.password);
    }
    return url.toString();
  });
  // A bootstrap connection used only to register asks one question: direct reply-to does, and Open Baton's
  // manager user may declare no named queue (SystemStartup.java 6.0.0:96-105: configure `^amq\.gen.*|amq\.default$`).
  const replyMode = bootstrap && !options.reuseBootstrapConnection ? 'direct' : options.nfvoReplyMode;
  // The lasting reply queue is named after the connection; with the endpoint in it the per-VNFM user the NFVO
  // creates may declare it (configure `(<endpoint>)`, unanchored: ComponentManager.java 6.0.0:331-344).
  const { type, endpoint } = options;
  const connectionName = endpoint === type || type.includes(endpoint) ? `vnfm-${type}` : `vnfm-${type}.${endpoint}`;
  // On a cluster (a quorum endpoint queue, or replicas) the lasting reply queue is a quorum queue too: it must
  // outlive the loss of the node it was declared on.
  const replyQueueType = options.replicated || options.endpointQueueType === 'quorum' ? 'quorum' : 'classic';
  return createAmqpTransport({ urls, logger, connectionName, replyMode, replyQueueType });
}

/**
 * Declared before registering too: the NFVO may send a command as soon as the registration is answered,
 * and a command published before the queue exists is dropped by the broker.
 */
export async function declareEndpointQueue(
  transport: Transport,
  options: Pick<ResolvedVnfmOptions, 'endpoint' | 'endpointQueueAutoDelete' | 'endpointQueueType' | 'replicated'>,
): Promise<string> {
  const queue = await transport.declareQueue(options.endpoint, {
    durable: true,
    // A quorum queue cannot be auto-delete.
    autoDelete: options.endpointQueueType === 'quorum' ? false : options.endpointQueueAutoDelete,
    type: options.endpointQueueType,
    // Replicas: one consumes, the others stand by (RabbitMQ hands the queue over when the active one goes).
    singleActiveConsumer: options.replicated,
  });
  await transport.bindQueue(queue, EXCHANGE, queue);
  return queue;
}

/**
 * Registers `endpoint` with the NFVO on a bootstrap connection (as `bootstrapCredentials`), then returns the
 * transport the VNFM runs on: the bootstrap one when `reuseBootstrapConnection`, else a new one as the per-VNFM
 * user the NFVO answered with.
 */
export async function registerAndOpen(
  input: ConnectionInput & { endpoint: VnfmManagerEndpoint },
): Promise<{ transport: Transport; credentials: ManagerCredentials }> {
  const { options, logger, endpoint } = input;
  const bootstrap = await openTransport(input, { credentials: options.bootstrapCredentials, bootstrap: true });
  await declareEndpointQueue(bootstrap, options).catch((error: unknown) =>
    logger.debug({ err: toError(error).message }, 'bootstrap user cannot declare the endpoint queue; declaring it after registration'),
  );
  let credentials: ManagerCredentials;
  try {
    credentials = await registerWithNfvo(bootstrap, {
      endpoint,
      timeoutMs: options.registerTimeoutMs,
      attempts: options.registerAttempts,
      onRetry: (attempt, error) => logger.warn({ attempt, err: error.message }, 'registration with the NFVO failed; retrying'),
    });
  } catch (error) {
    // Not registered: the bootstrap connection would otherwise stay open (and keep the process alive).
    await bootstrap.close().catch(() => undefined);
    throw error;
  }
  logger.info({ username: credentials.rabbitUsername }, 'registered with the NFVO');
  if (options.reuseBootstrapConnection) return { transport: bootstrap, credentials };
  await bootstrap.close();
  return {
    transport: await openTransport(input, { credentials: { username: credentials.rabbitUsername, password: credentials.rabbitPassword } }),
    credentials,
  };
}
