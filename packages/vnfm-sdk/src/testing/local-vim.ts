import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNetnsHost, type NetnsHost } from './netns.js';
import type { Vm, VimDriver, VmRequest } from './vim-driver.js';
import { missingAgentPackage } from './agent-package.js';

/** Options of {@link LocalVim}. */
export interface LocalVimOptions {
  /** VIM name. @default 'local-vim' */
  name?: string;
  /** Command line that starts one agent (`--config FILE` is appended). @default the installed @vnfkit/ems-agent */
  agentCommand?: string[];
  /** Root of the VMs' directories (deleted on close). @default a new temp dir */
  root?: string;
  /** Agent log level. @default 'warn' */
  logLevel?: string;
  /**
   * Extra agent config keys (INI `[ems]`), e.g. `command_timeout`, `signing_key`. Without `signing_key` here, a
   * non-empty `export SIGNING_KEY=…` line of the VM's user-data becomes `signing_key` and `require_signing`, and
   * `export VNFM_PUBLIC_KEY=…` becomes `vnfm_public_key`, as the agent's install.sh does.
   */
  agentConfig?: Record<string, string>;
  /** Where agent stdout/stderr go. @default 'ignore' */
  stdio?: 'ignore' | 'inherit';
  /**
   * Put each VM in its own Linux network namespace (root only): the VM gets a `10.213.x.y` address on a
   * veth pair and reaches the broker through a forwarder on the host side. @default false (127.x addresses)
   */
  networkNamespaces?: boolean;
}

interface LocalVm {
  vm: Vm;
  dir: string;
  configFile: string;
  child: ChildProcess;
  netns: NetnsHost | undefined;
}

function defaultAgentCommand(): string[] {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('@vnfkit/ems-agent/package.json'));
  } catch (error) {
    throw missingAgentPackage('LocalVim', error);
  }
  const built = join(dir, 'dist', 'cli.js');
  if (existsSync(built)) return [process.execPath, built];
  return [process.execPath, '--conditions=@vnfkit/source', '--import', 'tsx', join(dir, 'src', 'cli.ts')];
}

/** The value of a user-data line `export <name>=<value>` (plain or single-quoted), unless empty. */
function userDataValue(userData: string | undefined, name: 'SIGNING_KEY' | 'VNFM_PUBLIC_KEY'): string | undefined {
  const match = new RegExp(`^export ${name}=(.*)$`, 'm').exec(userData ?? '');
  const raw = (match?.[1] ?? '').trim();
  const value = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
  return value === '' ? undefined : value;
}

/**
 * A VIM whose VMs are real `vnfkit-ems` processes on this machine: each has hostname `<vnfr>-<n>`,
 * its own script and state directories and config file, and a private 127.x address per network.
 */
export class LocalVim implements VimDriver {
  readonly name: string;
  private readonly vms = new Map<string, LocalVm>();
  private readonly counters = new Map<string, number>();
  private root: string | undefined;
  private rootReady: Promise<string> | undefined;
  private prefix: string | undefined;
  private nextIp = 2;

  constructor(private readonly options: LocalVimOptions = {}) {
    this.name = options.name ?? 'local-vim';
  }

  /** Script directory of a VM (tests read files scripts wrote there). */
  scriptsDir(hostname: string): string {
    const vm = this.vms.get(hostname);
    if (!vm) throw new Error(`no VM ${hostname}`);
    return join(vm.dir, 'scripts');
  }

  /** Hostnames of the running VMs. */
  hostnames(): string[] {
    return [...this.vms.keys()];
  }

  async allocate(request: VmRequest): Promise<Vm> {
    // One root for all VMs, also when several are allocated at once.
    this.rootReady ??= this.options.root !== undefined ? Promise.resolve(this.options.root) : mkdtemp(join(tmpdir(), 'vnfkit-local-vim-'));
    this.root = await this.rootReady;
    const n = (this.counters.get(request.vnfrName) ?? 0) + 1;
    this.counters.set(request.vnfrName, n);
    const hostname = `${request.vnfrName}-${n}`;
    const octet = this.nextIp++;
    const netns = this.options.networkNamespaces ? await this.namespaceFor(octet, request.brokerUrl) : undefined;
    // In namespace mode the VM has one interface: every network of the component maps to its address.
    const ips = (request.networks.length > 0 ? request.networks : ['private']).map((netName, i) => ({
      netName,
      ip: netns ? netns.ip : `127.${10 + i}.${Math.floor(octet / 250)}.${(octet % 250) + 2}`,
    }));
    const vm: Vm = { hostname, vimId: this.name, vcId: randomUUID(), ips, floatingIps: [] };
    let brokerUrl = request.brokerUrl;
    if (netns) {
      const url = new URL(request.brokerUrl);
      url.hostname = netns.gatewayIp;
      url.port = String(netns.brokerPort);
      brokerUrl = url.toString();
    }
    const dir = join(this.root, hostname);
    await mkdir(join(dir, 'scripts'), { recursive: true });
    const configFile = join(dir, 'ems.conf');
    const signingKey = userDataValue(request.userData, 'SIGNING_KEY');
    const vnfmPublicKey = userDataValue(request.userData, 'VNFM_PUBLIC_KEY');
    const config: Record<string, string> = {
      amqp_url: brokerUrl,
      hostname,
      type: request.emsType,
      scripts_dir: join(dir, 'scripts'),
      state_dir: join(dir, 'state'),
      log_level: this.options.logLevel ?? 'warn',
      autodelete: 'true',
      ...(signingKey !== undefined ? { signing_key: signingKey, require_signing: 'true' } : {}),
      ...(vnfmPublicKey !== undefined ? { vnfm_public_key: vnfmPublicKey } : {}),
      ...this.options.agentConfig,
    };
    await writeFile(
      configFile,
      `[ems]\n${Object.entries(config)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n`,
      { mode: 0o600 },
    );
    const entry: LocalVm = { vm, dir, configFile, child: this.spawn(configFile, netns), netns };
    this.vms.set(hostname, entry);
    return vm;
  }

  private async namespaceFor(index: number, brokerUrl: string): Promise<NetnsHost> {
    if (process.getuid?.() !== 0) throw new Error('LocalVim networkNamespaces needs root (ip netns)');
    const url = new URL(brokerUrl);
    this.prefix ??= `vk${randomUUID().slice(0, 4)}`;
    return createNetnsHost({ index, brokerHost: url.hostname, brokerPort: Number(url.port || 5672), prefix: this.prefix });
  }

  private spawn(configFile: string, netns: NetnsHost | undefined): ChildProcess {
    const [agentCmd, ...agentArgs] = this.options.agentCommand ?? defaultAgentCommand();
    const [cmd, ...args] = netns
      ? ['ip', 'netns', 'exec', netns.name, agentCmd ?? process.execPath, ...agentArgs]
      : [agentCmd, ...agentArgs];
    // The agent reads its config only from the file: keep our own VNFKIT_EMS_* out of its environment.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VNFKIT_EMS_')));
    const child = spawn(cmd ?? process.execPath, [...args, '--config', configFile], { stdio: this.options.stdio ?? 'ignore', env });
    child.on('error', () => undefined);
    return child;
  }

  /** Sends a signal to a VM's agent (fault tests). */
  kill(hostname: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.vms.get(hostname)?.child.kill(signal);
  }

  async restart(hostname: string): Promise<void> {
    const vm = this.vms.get(hostname);
    if (!vm) throw new Error(`no VM ${hostname}`);
    await stop(vm.child);
    vm.child = this.spawn(vm.configFile, vm.netns);
  }

  async release(hostname: string): Promise<void> {
    const vm = this.vms.get(hostname);
    if (!vm) return;
    this.vms.delete(hostname);
    await stop(vm.child);
    await vm.netns?.remove();
    await rm(vm.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.vms.keys()].map((h) => this.release(h)));
    if (this.root && !this.options.root) await rm(this.root, { recursive: true, force: true });
    this.root = undefined;
    this.rootReady = undefined;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
