// An Open-Baton-like EMS on the broker, for EmsClient tests: it consumes its actions queue and answers, nothing more.
import { EXCHANGE, decodeEmsCommand, emsActionsQueue, type EmsCommand, type EmsReply } from '@vnfkit/protocol';
import type { Transport } from '@vnfkit/transport';

/** Consumes `vnfm.<hostname>.actions` on `transport`, records every command and answers each with `reply`; says no hello. */
export async function standInAgent(
  transport: Transport,
  hostname: string,
  reply: EmsReply = { output: '', err: '', status: 0 },
): Promise<EmsCommand[]> {
  const received: EmsCommand[] = [];
  const queue = emsActionsQueue(hostname);
  await transport.declareQueue(queue, { durable: false, autoDelete: true });
  await transport.bindQueue(queue, EXCHANGE, queue);
  await transport.consume(queue, async (m) => {
    received.push(decodeEmsCommand(m.body));
    await transport.reply(m, JSON.stringify(reply));
  });
  return received;
}
