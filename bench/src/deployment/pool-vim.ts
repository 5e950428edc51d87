import { randomUUID } from 'node:crypto';
import type { Vm, VimDriver, VmRequest } from '@vnfkit/vnfm-sdk/testing';
import { NETWORK } from './nsd.js';

/** A VIM with a pool of already-booted VMs (the farm's agents): allocation only hands one out. */
export class PoolVim implements VimDriver {
  readonly name = 'bench-pool-vim';
  private readonly counters = new Map<string, number>();
  private nextIp = 2;

  constructor(private readonly pool: ReadonlySet<string>) {}

  async allocate(request: VmRequest): Promise<Vm> {
    const n = (this.counters.get(request.vnfrName) ?? 0) + 1;
    this.counters.set(request.vnfrName, n);
    const hostname = `${request.vnfrName}-${n}`;
    if (!this.pool.has(hostname)) throw new Error(`no booted VM ${hostname} in the pool`);
    const octet = this.nextIp++;
    const ips = (request.networks.length > 0 ? request.networks : [NETWORK]).map((netName, i) => ({
      netName,
      ip: `127.${10 + i}.${Math.floor(octet / 250)}.${(octet % 250) + 2}`,
    }));
    return { hostname, vimId: this.name, vcId: randomUUID(), ips, floatingIps: [] };
  }

  async release(): Promise<void> {}

  async restart(hostname: string): Promise<void> {
    throw new Error(`the pool VIM cannot restart ${hostname}`);
  }

  async close(): Promise<void> {}
}
