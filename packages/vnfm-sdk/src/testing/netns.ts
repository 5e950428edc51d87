import { execFile } from 'node:child_process';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One simulated host: a Linux network namespace joined to this host by a veth pair, with a broker forwarder. */
export interface NetnsHost {
  /** Namespace name (`ip netns exec <name> …`). */
  name: string;
  /** The VM's address inside its namespace. */
  ip: string;
  /** Host-side address the VM reaches the broker at. */
  gatewayIp: string;
  /** Port of the broker forwarder on `gatewayIp`. */
  brokerPort: number;
  /** Removes the namespace, the veth pair and the forwarder. */
  remove(): Promise<void>;
}

/**
 * Creates a network namespace with its own address (`10.213.x.y/30`, a test-host range made and
 * removed here) and a TCP forwarder from the host side of the veth pair to the broker, so agents in
 * the namespace reach a broker that listens on loopback only. Needs root.
 */
export async function createNetnsHost(input: {
  index: number;
  brokerHost: string;
  brokerPort: number;
  prefix: string;
}): Promise<NetnsHost> {
  const name = `${input.prefix}${input.index}`;
  const hostIf = `vkh${input.prefix.slice(-4)}${input.index}`.slice(0, 15);
  const nsIf = `vkn${input.prefix.slice(-4)}${input.index}`.slice(0, 15);
  const base = input.index * 4;
  const net = `10.213.${Math.floor(base / 256)}`;
  const gatewayIp = `${net}.${(base % 256) + 1}`;
  const ip = `${net}.${(base % 256) + 2}`;
  const ipCmd = (...args: string[]) => run('ip', args);
  await ipCmd('netns', 'add', name);
  try {
    await ipCmd('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ipCmd('link', 'set', nsIf, 'netns', name);
    await ipCmd('addr', 'add', `${gatewayIp}/30`, 'dev', hostIf);
    await ipCmd('link', 'set', hostIf, 'up');
    await ipCmd('netns', 'exec', name, 'ip', 'addr', 'add', `${ip}/30`, 'dev', nsIf);
    await ipCmd('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
    await ipCmd('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    await ipCmd('netns', 'del', name).catch(() => undefined);
    throw error;
  }
  const forwarder: Server = createServer((client) => {
    const upstream = connect(input.brokerPort, input.brokerHost);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    forwarder.once('error', reject);
    forwarder.listen(0, gatewayIp, resolve);
  });
  return {
    name,
    ip,
    gatewayIp,
    brokerPort: (forwarder.address() as AddressInfo).port,
    remove: async () => {
      await new Promise((r) => forwarder.close(r));
      await ipCmd('netns', 'del', name).catch(() => undefined);
      await ipCmd('link', 'del', hostIf).catch(() => undefined);
    },
  };
}
