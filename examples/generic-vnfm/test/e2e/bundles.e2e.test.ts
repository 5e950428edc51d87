// Bundled agent commands end to end: the `generic-vnfm` bin, real vnfkit-ems processes and scripts, the NFVO
// simulator as Open Baton's NFVO, every agent command counted at the broker (firehose tracer). By default a VM gets
// its package within its first INSTANTIATE EXECUTE and its dependency within the first untyped CONFIGURE EXECUTE; with
// VNFKIT_BUNDLES=0 one SAVE_SCRIPTS per file and a SAVE_VNFR_DEPENDENCY, as from Open Baton's VNFM. Both deploy
// to ACTIVE with the same files on the VMs and the same script runs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXCHANGE, type NetworkServiceDescriptor } from '@vnfkit/protocol';
import { createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { LocalVim, NfvoSimulator } from '@vnfkit/vnfm-sdk/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { traceVhost } from './firehose.js';
import { privateVhost, runs, scripts, spawnVnfmBin } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const cp = [{ connection_point: [{ virtual_link_reference: 'private' }] }];
/** The client's untyped CONFIGURE script reads the dependency the agent saved. */
const READ_DEPENDENCY =
  '#!/bin/bash\n. "$SCRIPTS_PATH/ob_parameters.sh"\necho "configure $OB_server_VNFC_hostname" >> "$SCRIPTS_PATH/runs.log"\n';

function nsd(type: string): NetworkServiceDescriptor {
  return {
    name: 'bundles',
    vnfd: [
      {
        name: 'server',
        type: 'server',
        endpoint: type,
        lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'tune.sh'] }],
        vdu: [{ name: 's', vnfc: cp }],
      },
      {
        name: 'client',
        type: 'client',
        endpoint: type,
        lifecycle_event: [
          { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
          { event: 'CONFIGURE', lifecycle_events: ['configure.sh'] },
          { event: 'START', lifecycle_events: ['start.sh'] },
        ],
        vdu: [{ name: 'c', vnfc: [...cp, ...cp] }],
      },
    ],
    vnf_dependency: [{ source: { name: 'server' }, target: { name: 'client' }, parameters: ['hostname'] }],
  };
}

const files = { ...scripts(['install.sh', 'tune.sh', 'start.sh']), 'configure.sh': READ_DEPENDENCY };

/** Deploys the NS through the bin (`env`: more of its environment); the agent commands, by action and VM. */
async function deploy(env: Record<string, string>): Promise<{ commands: string[]; vim: LocalVim; close: () => Promise<void> }> {
  const type = `bundles${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-gvnfm-bundles-'));
  const vim = new LocalVim();
  const closers: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true }), () => vim.close()];
  const close = async (): Promise<void> => {
    for (const f of closers.reverse()) await f().catch(() => undefined);
  };
  try {
    const trace = await traceVhost(vhost.url);
    closers.push(() => trace.stop());
    const transport: Transport = await createAmqpTransport({ url: vhost.url });
    closers.push(() => transport.close());
    const sim = await NfvoSimulator.create({ transport, vim, brokerUrl: vhost.url, commandTimeoutMs: 60_000 });
    closers.push(() => sim.close());
    const vnfm = spawnVnfmBin({ url: vhost.url, type, work, env });
    closers.push(async () => {
      if (vnfm.exitCode === null && vnfm.signalCode === null) vnfm.kill('SIGKILL');
    });
    await sim.waitForVnfm(type, { timeoutMs: 30_000 });
    const nsrId = await sim.deploy(nsd(type), { packages: { server: { scripts: files }, client: { scripts: files } } });
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
    const commands = trace.publishes
      .filter((p) => p.exchange === EXCHANGE && /^vnfm\..+\.actions$/.test(p.routingKey))
      .map((p) => {
        const command = JSON.parse(p.body) as { action: string; name?: string; files?: unknown[]; dependency?: string };
        const host = p.routingKey.slice('vnfm.'.length, -'.actions'.length);
        const extra = `${command.files ? ` +${command.files.length} files` : ''}${command.dependency ? ' +dependency' : ''}`;
        return `${host} ${command.action}${extra}`;
      });
    return { commands, vim, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const count = (commands: string[], pattern: RegExp): number => commands.filter((c) => pattern.test(c)).length;

describe('bundled agent commands (the generic-vnfm bin, real agents, counted at the broker)', () => {
  it('by default: the package within the EXECUTE of install.sh, the dependency within the EXECUTE of configure.sh', async () => {
    const { commands, vim, close } = await deploy({});
    try {
      // 3 VMs: each its whole package (4 files) with its first script, no SAVE_SCRIPTS.
      expect(count(commands, /EXECUTE \+4 files$/)).toBe(3);
      expect(count(commands, /SAVE_SCRIPTS/)).toBe(0);
      expect(count(commands, /SAVE_VNFR_DEPENDENCY/)).toBe(0);
      expect(commands.filter((c) => c.endsWith('EXECUTE +dependency')).map((c) => c.split(' ')[0])).toEqual(
        expect.arrayContaining(['client-1', 'client-2']),
      );
      expect(count(commands, /EXECUTE/)).toBe(2 + 3 * 2);
      for (const host of ['client-1', 'client-2']) {
        expect(await runs(vim, host)).toEqual(['install.sh', 'configure server-1', 'start.sh']);
        expect(JSON.parse(await readFile(join(vim.scriptsDir(host), 'ob_parameters.json'), 'utf8'))).toMatchObject({ target: 'client' });
      }
      expect(await runs(vim, 'server-1')).toEqual(['install.sh', 'tune.sh']);
    } finally {
      await close();
    }
  }, 120_000);

  it('VNFKIT_BUNDLES=0: one SAVE_SCRIPTS per file and a SAVE_VNFR_DEPENDENCY, with the same outcome', async () => {
    const { commands, vim, close } = await deploy({ VNFKIT_BUNDLES: '0' });
    try {
      expect(count(commands, /SAVE_SCRIPTS$/)).toBe(3 * 4);
      expect(count(commands, /\+/)).toBe(0);
      expect(count(commands, /SAVE_VNFR_DEPENDENCY/)).toBe(2);
      expect(count(commands, /EXECUTE/)).toBe(2 + 3 * 2);
      for (const host of ['client-1', 'client-2']) expect(await runs(vim, host)).toEqual(['install.sh', 'configure server-1', 'start.sh']);
      expect(await runs(vim, 'server-1')).toEqual(['install.sh', 'tune.sh']);
    } finally {
      await close();
    }
  }, 120_000);
});
