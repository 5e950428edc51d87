import { onTestFinished } from 'vitest';
import { AmqpTransport, type AmqpTransportOptions, type ConsumeOptions } from '@vnfkit/transport';
import { AGENT_TRANSPORT_MODE } from '../../src/transport/agent-transport.js';
import { AMQP_URL, deleteQueueAfterTest } from './broker.js';
import { uniqueName } from './temp.js';

/** The agent's reconnect and publish settings a test may shorten. */
export interface AgentTransportTestOptions extends Pick<AmqpTransportOptions, 'publishTimeoutMs' | 'logger'> {
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

/** An idle transport in the agent's mode (as `createAgentTransport` builds it) to `url`; call `start()`. */
export async function agentTransport(
  connectionName: string,
  options: AgentTransportTestOptions = {},
  url = AMQP_URL,
): Promise<AmqpTransport> {
  const transport = await AmqpTransport.create({
    ...AGENT_TRANSPORT_MODE,
    url,
    connectionName,
    reconnect: { initialDelayMs: options.reconnectMinDelayMs ?? 500, maxDelayMs: options.reconnectMaxDelayMs ?? 30_000, jitter: 0.5 },
    ...(options.publishTimeoutMs !== undefined ? { publishTimeoutMs: options.publishTimeoutMs } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  onTestFinished(() => transport.close());
  return transport;
}

/**
 * A transport in the agent's mode named `vnfkit-link-<label>-…` (closed after the test) consuming a queue of its
 * own (`<name>.q`, deleted after the test) into `received`. It is not started yet: call `start()`.
 */
export async function transportWithQueue(
  label: string,
  options: AgentTransportTestOptions = {},
  consume: ConsumeOptions = {},
): Promise<{ transport: AmqpTransport; name: string; queue: string; received: string[] }> {
  const name = uniqueName('vnfkit-link', label);
  const transport = await agentTransport(name, options);
  const queue = `${name}.q`;
  deleteQueueAfterTest(queue);
  await transport.declareQueue(queue, { expiresMs: 60_000 });
  const received: string[] = [];
  await transport.consume(
    queue,
    async (message) => {
      received.push(message.body.toString());
    },
    consume,
  );
  return { transport, name, queue, received };
}
