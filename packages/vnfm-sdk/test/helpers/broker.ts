import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Broker the integration tests use. Tests fail (not skip) when it does not answer. */
export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A name unique to this test run: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `vnfkit-test-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `condition` until true; fails after `timeoutMs` saying what it waited for. */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: { timeoutMs?: number; what: string }): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Closes only the broker connections with this client-provided name (other suites are untouched). */
export function closeConnectionsNamed(name: string): number {
  const out = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
  let closed = 0;
  for (const line of out.split('\n')) {
    if (!line.includes(`"${name}"`)) continue;
    const pid = line.split('\t')[0];
    if (!pid) continue;
    execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'vnfkit test: forced drop']);
    closed += 1;
  }
  return closed;
}

/**
 * A private RabbitMQ virtual host for one test file: the Open Baton queue names (`nfvo.manager.handling`, …)
 * are fixed, so suites that play the NFVO would compete for them on a shared vhost. Returns its URL and a cleanup.
 */
export function privateVhost(prefix: string): { url: string; vhost: string; remove: () => Promise<void> } {
  const vhost = uniqueName(prefix);
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const base = new URL(AMQP_URL);
  base.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: base.toString(),
    vhost,
    remove: async () => {
      execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
    },
  };
}
