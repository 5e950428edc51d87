import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AMQP_URL } from '../table.js';

/** A private vhost (removed by the returned cleanup); without rabbitmqctl, the AMQP_URL's vhost is used as is. */
export function privateVhost(): { url: string; remove: () => void } {
  const vhost = `vnfkit-bench-${randomBytes(4).toString('hex')}`;
  const url = new URL(AMQP_URL);
  const user = decodeURIComponent(url.username) || 'guest';
  try {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*'], { stdio: 'ignore' });
  } catch {
    console.error('note: deployment-scale: rabbitmqctl failed; using the AMQP_URL vhost (do not run NFVO tests at the same time)');
    return { url: AMQP_URL, remove: () => undefined };
  }
  url.pathname = `/${vhost}`;
  return { url: url.toString(), remove: () => execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost], { stdio: 'ignore' }) };
}
