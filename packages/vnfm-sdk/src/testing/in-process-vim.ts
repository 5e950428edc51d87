import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transport } from '@vnfkit/transport';
import type { Vm, VimDriver, VmRequest } from './vim-driver.js';
import { missingAgentPackage } from './agent-package.js';

interface AgentHandle {
  start(): Promise<void>;
  close(): Promise<void>;
}
type CreateAgent = (options: { config: Record<string, unknown>; transport: Transport }) => Promise<AgentHandle>;

/**
 * A VIM whose VMs are EMS agents running inside this process (through `@vnfkit/ems-agent`'s library API),
 * each on its own transport from `transportFactory` — the memory transport for unit tests, benchmarks
 * and the broker-less demo. Scripts still run as real processes.
 */
export class InProcessVim implements VimDriver {
  readonly name = 'in-process-vim';
  private readonly agents = new Map<string, { agent: AgentHandle; transport: Transport; request: VmRequest }>();
  private readonly counters = new Map<string, number>();
  private root: string | undefined;
  private rootReady: Promise<string> | undefined;
  private nextIp = 2;

  constructor(
    private readonly transportFactory: () => Promise<Transport>,
    private readonly agentConfig: Record<string, unknown> = {},
  ) {}

  async allocate(request: VmRequest): Promise<Vm> {
    // One root for all VMs, also when several are allocated at once.
    this.rootReady ??= mkdtemp(join(tmpdir(), 'vnfkit-inproc-vim-'));
    this.root = await this.rootReady;
    const n = (this.counters.get(request.vnfrName) ?? 0) + 1;
    this.counters.set(request.vnfrName, n);
    const hostname = `${request.vnfrName}-${n}`;
    const octet = this.nextIp++;
    const ips = (request.networks.length > 0 ? request.networks : ['private']).map((netName, i) => ({
      netName,
      ip: `127.${10 + i}.${Math.floor(octet / 250)}.${(octet % 250) + 2}`,
    }));
    await this.startAgent(hostname, request);
    return { hostname, vimId: this.name, vcId: randomUUID(), ips, floatingIps: [] };
  }

  /** Script directory of a VM. */
  scriptsDir(hostname: string): string {
    return join(this.root ?? '', hostname, 'scripts');
  }

  private async startAgent(hostname: string, request: VmRequest): Promise<void> {
    // Dynamic import: the SDK has no static dependency on the agent package.
    const agentModule = (await import('@vnfkit/ems-agent').catch((error: unknown) => {
      throw missingAgentPackage('InProcessVim', error);
    })) as unknown as { createAgent: CreateAgent };
    const transport = await this.transportFactory();
    const dir = join(this.root ?? '', hostname);
    const agent = await agentModule.createAgent({
      config: { hostname, type: request.emsType, scripts_dir: join(dir, 'scripts'), state_dir: join(dir, 'state'), ...this.agentConfig },
      transport,
    });
    await agent.start();
    this.agents.set(hostname, { agent, transport, request });
  }

  /** The VM's agent dies (fault tests, the demo): its connection and actions queue go; {@link restart} brings it back. */
  async kill(hostname: string): Promise<void> {
    const entry = this.agents.get(hostname);
    if (!entry) throw new Error(`no VM ${hostname}`);
    await entry.agent.close();
    await entry.transport.close();
  }

  async restart(hostname: string): Promise<void> {
    const entry = this.agents.get(hostname);
    if (!entry) throw new Error(`no VM ${hostname}`);
    await entry.agent.close();
    await entry.transport.close();
    await this.startAgent(hostname, entry.request);
  }

  async release(hostname: string): Promise<void> {
    const entry = this.agents.get(hostname);
    if (!entry) return;
    this.agents.delete(hostname);
    await entry.agent.close();
    await entry.transport.close();
    await rm(join(this.root ?? '', hostname), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((h) => this.release(h)));
    if (this.root) await rm(this.root, { recursive: true, force: true });
    this.root = undefined;
    this.rootReady = undefined;
  }
}
