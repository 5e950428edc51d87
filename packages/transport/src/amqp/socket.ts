import type { Socket } from 'node:net';

/**
 * Shared by the SDK's transport and the agent's link (both on amqplib). It performs no I/O itself: it
 * changes when a socket's writes reach the kernel.
 *
 * Makes the frames amqplib writes in one tick leave in one `writev`. amqplib writes every frame batch
 * with its own `write` (a publish, an ack, a large message's body), and each write system call on
 * loopback or a VM also wakes the broker: ~0.1–0.3 ms of CPU each, measured in `pnpm bench`. Corked
 * until the end of the tick, a burst of publishes and acks costs one system call; nothing waits longer
 * than the current tick.
 */
export function coalesceWrites(socket: Pick<Socket, 'write' | 'cork' | 'uncork'>): void {
  const write = socket.write.bind(socket) as Socket['write'];
  let corked = false;
  const flush = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: Parameters<Socket['write']>) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(flush);
    }
    return write(...args);
  }) as Socket['write'];
}

/** The socket under an amqplib connection (`ChannelModel.connection.stream`, not in its typings), if any. */
export function amqplibSocket(model: unknown): Socket | undefined {
  const stream = (model as { connection?: { stream?: unknown } } | undefined)?.connection?.stream as Partial<Socket> | undefined;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function' && typeof stream.write === 'function'
    ? (stream as Socket)
    : undefined;
}
