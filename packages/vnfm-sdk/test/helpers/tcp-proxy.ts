import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A loopback TCP forwarder whose link can be cut and restored, to simulate a broker outage. */
export interface TcpProxy {
  /** The local port clients connect to (stays the same across pause/resume). */
  readonly port: number;
  /** Cuts every connection and refuses new ones (ECONNREFUSED) until {@link resume}. */
  pause(): Promise<void>;
  /** Accepts connections again on the same port. */
  resume(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts a proxy from a random loopback port to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream).pipe(client);
  });
  const port = await listen(server, 0);
  let listening = true;
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) {
        resolve();
        return;
      }
      listening = false;
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return {
    port,
    pause: stopListening,
    resume: async () => {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
    close: stopListening,
  };
}
