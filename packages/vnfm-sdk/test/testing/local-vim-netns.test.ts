// LocalVim with one Linux network namespace per VM (root only, as CI runs): agents reach the broker
// through the veth pair, and the VMs' addresses are their namespace addresses.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalVim, NfvoSimulator } from '../../src/testing/index.js';
import { createAmqpTransport } from '@vnfkit/transport';
import { privateVhost, uniqueName } from '../helpers/broker.js';
import { SCRIPTS, ScriptVnfm } from './script-vnfm.js';

const vhost = privateVhost('netns');
afterAll(() => vhost.remove());

it('deploys a dependent NS onto VMs in their own network namespaces', async () => {
  expect(process.getuid?.()).toBe(0);
  const type = uniqueName('ns').replace(/-/g, '');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const transport = await createAmqpTransport({ url: vhost.url });
    cleanups.push(() => transport.close());
    const vim = new LocalVim({ networkNamespaces: true });
    cleanups.push(() => vim.close());
    const sim = await NfvoSimulator.create({ transport, vim, brokerUrl: vhost.url });
    cleanups.push(() => sim.close());
    const vnfm = new ScriptVnfm({ type, amqpUrl: vhost.url, bootstrapCredentials: { username: 'guest', password: 'guest' } });
    await vnfm.connect();
    cleanups.push(() => vnfm.close());

    const nsrId = await sim.deploy(
      {
        name: 'ns',
        vnfd: [
          {
            name: 'srv',
            type: 'server',
            endpoint: type,
            vdu: [{ name: 'v', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
          },
          {
            name: 'cli',
            type: 'client',
            endpoint: type,
            vdu: [{ name: 'v', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
          },
        ],
        vnf_dependency: [{ source: { name: 'srv' }, target: { name: 'cli' }, parameters: ['private'] }],
      },
      { packages: { srv: { scripts: SCRIPTS }, cli: { scripts: SCRIPTS } } },
    );
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });

    const serverIp = sim.vnfr(nsrId, 'srv').vdu?.[0]?.vnfc_instance?.[0]?.ips?.[0]?.ip ?? '';
    expect(serverIp).toMatch(/^10\.213\.\d+\.\d+$/);
    const steps = await readFile(join(vim.scriptsDir('cli-1'), 'steps.log'), 'utf8');
    expect(steps).toContain(`configure cli-1 ${serverIp}`);
    // The agent really lives in a namespace that owns that address.
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const owner = namespaces
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean)
      .find((ns) => execFileSync('ip', ['netns', 'exec', ns, 'ip', '-4', 'addr'], { encoding: 'utf8' }).includes(`${serverIp}/30`));
    expect(owner).toBeDefined();
    expect(execFileSync('ip', ['netns', 'pids', owner ?? ''], { encoding: 'utf8' }).trim()).not.toBe('');

    await sim.terminate(nsrId);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(owner ?? '(none)');
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => undefined);
  }
}, 60_000);
