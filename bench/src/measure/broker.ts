// Looking the broker up on this machine: its pid (for its CPU time and memory) and its client connections.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { AMQP_URL } from '../table.js';

/** Client connections the broker has: on our vhost and in all (`rabbitmqctl list_connections`); NaN without rabbitmqctl. */
export function brokerConnections(vhostUrl: string): { ours: number; all: number } {
  try {
    const vhost = decodeURIComponent(new URL(vhostUrl).pathname.slice(1)) || '/';
    const lines = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'vhost'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && l !== 'vhost');
    return { ours: lines.filter((l) => l === vhost).length, all: lines.length };
  } catch {
    return { ours: NaN, all: NaN };
  }
}

/**
 * The broker's pid when it runs on this machine, for its CPU time and memory: the process that holds the socket
 * listening on the AMQP_URL's port (other RabbitMQ nodes may run on the machine: tests start their own), else
 * the oldest Erlang VM.
 */
export function brokerPid(): number | undefined {
  try {
    const port = Number(new URL(AMQP_URL).port || 5672)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of (existsSync(table) ? readFileSync(table, 'utf8') : '').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[3] === '0A' && f[1]?.endsWith(`:${port}`) && f[9] !== undefined) inodes.add(`socket:[${f[9]}]`);
      }
    }
    const candidates = execFileSync('pgrep', ['-f', 'beam.smp'], { encoding: 'utf8' }).trim().split('\n').map(Number);
    for (const pid of candidates) {
      const fds = (() => {
        try {
          return readdirSync(`/proc/${pid}/fd`);
        } catch {
          return [];
        }
      })();
      for (const fd of fds) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
        } catch {
          // gone meanwhile
        }
      }
    }
  } catch {
    // fall through
  }
  try {
    const pid = Number(execFileSync('pgrep', ['-o', '-f', 'beam.smp'], { encoding: 'utf8' }).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
