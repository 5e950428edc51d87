// A started EmsClient on a transport of its own, for the EmsClient tests against real agents.
import { createAmqpTransport, type ReplyMode } from '@vnfkit/transport';
import { EmsClient, type EmsClientOptions } from '../../src/ems/ems-client.js';
import { AMQP_URL } from './broker.js';

/** An EmsClient of `endpoint` (20 s command and hello deadlines unless `options` says otherwise); `cleanups` stops it and its transport. */
export async function startEmsClient(input: {
  endpoint: string;
  cleanups: (() => Promise<void>)[];
  connectionName?: string;
  replyMode?: ReplyMode;
  options?: Omit<EmsClientOptions, 'transport' | 'endpoint'>;
}): Promise<EmsClient> {
  const { endpoint, cleanups } = input;
  const transport = await createAmqpTransport({
    url: AMQP_URL,
    connectionName: input.connectionName ?? endpoint,
    ...(input.replyMode !== undefined ? { replyMode: input.replyMode } : {}),
  });
  cleanups.push(() => transport.close());
  const ems = new EmsClient({ transport, endpoint, commandTimeoutMs: 20_000, helloTimeoutMs: 20_000, ...input.options });
  await ems.start();
  cleanups.push(() => ems.stop());
  return ems;
}
