// The Generic VNFM under the broker users an Open Baton 6.0 NFVO creates (issue 14 §4): the bin bootstraps with
// `openbaton-manager-user`/`openbaton` (NFVO SystemStartup permissions), registers, and runs its NFVO side on the
// per-VNFM user the NFVO creates (ComponentManager.register permissions) — in a private vhost, over the real
// broker, with real agents. The simulator is the NFVO and connects as an admin (guest); the VNFM's EMS side and the
// agents use the account of AMQP_URL (guest here), as documented in docs/generic-vnfm.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { LocalVim, MANAGER_USER, NfvoSimulator, RabbitmqctlAccounts } from '@vnfkit/vnfm-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateVhost, runs, scripts } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'cli.ts');
const root = join(here, '..', '..', '..', '..');
const vhost = privateVhost();
const vhostName = decodeURIComponent(new URL(vhost.url).pathname.slice(1));
const accounts = new RabbitmqctlAccounts({ vhost: vhostName });

const users = (): string[] =>
  execFileSync('rabbitmqctl', ['-q', 'list_users'], { encoding: 'utf8' })
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0] ?? '')
    .filter(Boolean);
/** `user` of each connection of the private vhost, by client-provided connection name. */
const connectionUsers = (): Map<string, string> =>
  new Map(
    execFileSync('rabbitmqctl', ['-q', 'list_connections', '-p', vhostName, 'client_properties', 'user'], { encoding: 'utf8' })
      .split('\n')
      .map(
        (line) =>
          [
            /"connection_name","([^"]*)"/.exec(line)?.[1] ?? /\{<<"connection_name">>,longstr,<<"([^"]*)">>\}/.exec(line)?.[1],
            line.split('\t').at(-1)?.trim(),
          ] as const,
      )
      .filter((e): e is [string, string] => e[0] !== undefined && e[1] !== undefined),
  );

// Users are broker-wide: remove the manager user only when this file created it.
let managerUserExisted = false;
beforeAll(() => {
  managerUserExisted = users().includes(MANAGER_USER.username);
});
afterAll(async () => {
  try {
    await accounts.deleteVnfmUsers();
  } finally {
    try {
      if (!managerUserExisted) await accounts.deleteManagerUser();
    } finally {
      vhost.remove();
    }
  }
});

const nsd = (type: string): NetworkServiceDescriptor => ({
  name: 'accounts',
  vnfd: [
    {
      name: 'server',
      type: 'server',
      endpoint: type,
      lifecycle_event: [
        { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
        { event: 'START', lifecycle_events: ['start.sh'] },
        { event: 'TERMINATE', lifecycle_events: ['terminate.sh'] },
      ],
      vdu: [{ name: 'server-vdu', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
    {
      name: 'client',
      type: 'client',
      endpoint: type,
      lifecycle_event: [
        { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
        { event: 'CONFIGURE', lifecycle_events: ['server_configure.sh'] },
        { event: 'START', lifecycle_events: ['start.sh'] },
        { event: 'TERMINATE', lifecycle_events: ['terminate.sh'] },
      ],
      vdu: [{ name: 'client-vdu', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
  ],
  vnf_dependency: [{ source: { name: 'server' }, target: { name: 'client' }, parameters: ['private'] }],
});

/** Starts the `generic-vnfm` bin (from source); its output is collected. @default bootstrap: Open Baton's manager user */
function startVnfm(input: { type: string; work: string; replyMode: string; manager?: { username: string; password: string } }): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const manager = input.manager ?? MANAGER_USER;
  const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', cli], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // The VNFM's own account (its EMS side, and the agents' user-data): guest on the private vhost.
      AMQP_URL: vhost.url,
      VNFM_TYPE: input.type,
      VNFM_ENDPOINT: input.type,
      VNFKIT_MANAGER_USERNAME: manager.username,
      VNFKIT_MANAGER_PASSWORD: manager.password,
      VNFKIT_NFVO_REPLY_MODE: input.replyMode,
      VNFKIT_RESUME_DIR: join(input.work, 'resume'),
      VNFKIT_LOG_DIR: join(input.work, 'logs'),
      VNFKIT_JOURNAL_FILE: join(input.work, 'operations.jsonl'),
      VNFKIT_LOG_LEVEL: 'info',
      VNFKIT_AGENT_START_TIMEOUT_S: '30',
      VNFKIT_AGENT_COMMAND_TIMEOUT_S: '30',
    },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * One VNFM life under the NFVO's users: register, deploy a two-VNF NS with a dependency to ACTIVE, terminate, SIGTERM.
 * Fails on any refused declare/publish/consume: the NS would not get ACTIVE, and a refusal is logged as ACCESS_REFUSED.
 */
async function deployAndTerminate(input: { replyMode: string; manager?: { username: string; password: string } }): Promise<void> {
  const type = `acct${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-gvnfm-accounts-'));
  const vim = new LocalVim();
  let transport: Transport | undefined;
  let sim: NfvoSimulator | undefined;
  let vnfm: ReturnType<typeof startVnfm> | undefined;
  try {
    transport = await createAmqpTransport({ url: vhost.url, connectionName: `nfvo-simulator-${type}` });
    sim = await NfvoSimulator.create({ transport, vim, brokerUrl: vhost.url, commandTimeoutMs: 30_000, accounts });
    vnfm = startVnfm({ type, work, ...input });
    await sim.waitForVnfm(type, { timeoutMs: 30_000 });
    // The NFVO created the VNFM's user; the VNFM's NFVO-side connection runs on it, the EMS side on AMQP_URL's user.
    await expect.poll(() => accounts.users, { timeout: 10_000 }).toContain(type);
    await expect.poll(() => connectionUsers().get(`vnfm-${type}`), { timeout: 10_000 }).toBe(type);
    expect(connectionUsers().get(`generic-vnfm-ems-${type}`)).toBe('guest');

    const terminated = join(work, 'terminated.log');
    const terminate = `#!/bin/bash\necho "$hostname" >> '${terminated}'\n`;
    const nsrId = await sim.deploy(nsd(type), {
      packages: {
        server: { scripts: { ...scripts(['install.sh', 'start.sh']), 'terminate.sh': terminate } },
        client: { scripts: { ...scripts(['install.sh', 'server_configure.sh', 'start.sh']), 'terminate.sh': terminate } },
      },
    });
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    expect(await runs(vim, 'server-1')).toEqual(['install.sh', 'start.sh']);
    expect(await runs(vim, 'client-1')).toEqual(['install.sh', 'server_configure.sh', 'start.sh']);

    await sim.terminate(nsrId);
    expect(sim.nsStatus(nsrId)).toBe('TERMINATED');
    expect((await readFile(terminated, 'utf8')).trim().split('\n').sort()).toEqual(['client-1', 'server-1']);

    // SIGTERM: the VNFM unregisters (publishing as its own user) and the NFVO deletes that user.
    vnfm.child.kill('SIGTERM');
    expect(await vnfm.exited).toBe(0);
    await expect.poll(() => users().includes(type), { timeout: 10_000 }).toBe(false);
    expect(accounts.users).not.toContain(type);
    // Nothing was refused on the way: a refused declare/publish/consume closes its channel with 403 ACCESS_REFUSED,
    // which the transport logs. The one expected refusal: before registering, the SDK tries to declare the endpoint
    // queue as the bootstrap user (so that no early command is dropped), which openbaton-manager-user may not.
    const refusals = vnfm
      .output()
      .split('\n')
      .filter((line) => /ACCESS.REFUSED|\b403\b/i.test(line));
    const expected = `access to queue '${type}' in vhost '${vhostName}' refused for user '${MANAGER_USER.username}'`;
    expect(refusals.filter((line) => !line.includes(expected))).toEqual([]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- generic-vnfm output ---\n${vnfm?.output() ?? ''}`, { cause: error });
  } finally {
    if (vnfm && vnfm.child.exitCode === null && vnfm.child.signalCode === null) vnfm.child.kill('SIGKILL');
    await sim?.close();
    await transport?.close();
    await vim.close();
    await rm(work, { recursive: true, force: true });
  }
}

describe.sequential('Generic VNFM under the Open Baton NFVO broker users', () => {
  // `queue` (server-named amq.gen-* reply queues) is allowed by `^amq\.gen.*` for both users, like `direct`.
  // `lasting-queue` too: the SDK registers over direct reply-to (the manager user may declare no named queue),
  // and the per-VNFM user may declare its lasting reply queue, whose name contains the endpoint.
  for (const replyMode of ['direct', 'queue', 'lasting-queue'] as const) {
    it(`VNFKIT_NFVO_REPLY_MODE=${replyMode}: registers as openbaton-manager-user, deploys to ACTIVE and terminates as the per-VNFM user`, async () => {
      await deployAndTerminate({ replyMode });
    }, 120_000);
  }
});
