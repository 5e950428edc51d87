import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';
import { uniqueName } from './names.js';

export { uniqueName } from './names.js';
export { waitFor } from './wait.js';

/** Broker the integration tests use. Tests fail (not skip) when it does not answer. */
export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Broker suites are skipped only when explicitly asked (never in CI): a silent skip tests nothing. */
export const SKIP_BROKER_TESTS = process.env['VNFKIT_SKIP_BROKER_TESTS'] === '1';

/** `describe` for suites that need RabbitMQ: skipped only with VNFKIT_SKIP_BROKER_TESTS=1, otherwise they fail without a broker. */
export function describeBroker(name: string, body: () => void): void {
  if (SKIP_BROKER_TESTS) describe.skip(name, body);
  else describe(name, body);
}

function rabbitmqctl(args: string[]): string {
  return execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 20_000 });
}

/** A broker connection as `rabbitmqctl list_connections` shows it. */
export interface BrokerConnectionInfo {
  pid: string;
  /** Negotiated heartbeat in seconds. */
  heartbeatSeconds: number;
}

/** The broker's connections whose client-provided name is exactly `name`. */
export function connectionsNamed(name: string): BrokerConnectionInfo[] {
  const needle = `{"connection_name","${name}"}`;
  return rabbitmqctl(['list_connections', 'pid', 'timeout', 'client_properties'])
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => {
      const [pid = '', timeout = ''] = line.split('\t');
      return { pid, heartbeatSeconds: Number(timeout) };
    })
    .filter((c) => c.pid !== '');
}

/** Broker process ids of the connections whose client-provided name is exactly `name`. */
export function connectionPidsNamed(name: string): string[] {
  return connectionsNamed(name).map((c) => c.pid);
}

/**
 * Force-closes only the broker connections with this client-provided name (`connectionName` of the
 * transport), so parallel suites are untouched; returns how many were closed.
 */
export function closeConnectionsNamed(name: string): number {
  const pids = connectionPidsNamed(name);
  for (const pid of pids) rabbitmqctl(['close_connection', pid, 'vnfkit test: forced drop']);
  return pids.length;
}

/**
 * A private RabbitMQ virtual host for one test file: the Open Baton queue names (`nfvo.manager.handling`, …)
 * are fixed, so suites that play the NFVO would compete for them on a shared vhost. Returns its URL and a cleanup.
 */
export function privateVhost(prefix: string): { url: string; vhost: string; remove: () => Promise<void> } {
  const vhost = uniqueName(prefix);
  rabbitmqctl(['add_vhost', vhost]);
  rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const base = new URL(AMQP_URL);
  base.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: base.toString(),
    vhost,
    remove: async () => {
      rabbitmqctl(['delete_vhost', vhost]);
    },
  };
}
