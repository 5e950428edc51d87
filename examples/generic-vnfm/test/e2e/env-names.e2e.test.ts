// Issue #15, "the environment must not become code", through the simulator, the Generic VNFM and real
// agents over RabbitMQ: a descriptor key that would become a refused variable (BASH_ENV, LD_*) fails
// the NS with an ERROR naming the key and the VNFD — at INSTANTIATE before GRANT_OPERATION (so no VM is
// created), at MODIFY before any CONFIGURE script runs.
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateVhost, recordMessages, runs, scripts, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const cp = [{ connection_point: [{ virtual_link_reference: 'private' }] }];

describe.sequential('refused environment variable names in descriptors', () => {
  let h: Harness;
  let recorded: ReturnType<typeof recordMessages>;
  beforeAll(async () => {
    h = await startHarness({ url: vhost.url });
    recorded = recordMessages(h.sim);
  }, 60_000);
  afterAll(async () => h.close());

  const fromVnfm = (action: string, name: string): Record<string, unknown>[] => recorded.fromVnfm(action, name);
  const errorText = (name: string): string =>
    fromVnfm('ERROR', name)
      .map((b) => (b['exception'] as { detailMessage?: string } | undefined)?.detailMessage ?? '')
      .join('\n');

  it('a VNFD configuration key BASH_ENV: NS ERROR naming BASH_ENV and the VNFD; no GRANT_OPERATION, no VM, no script', async () => {
    const vmsBefore = h.vim.hostnames().length;
    const nsd: NetworkServiceDescriptor = {
      name: 'bash-env-ns',
      vnfd: [
        {
          name: 'bash-env-vnf',
          type: 'server',
          endpoint: h.type,
          configurations: {
            name: 'c',
            configurationParameters: [
              { confKey: 'port', value: '5001' },
              { confKey: 'BASH_ENV', value: '$(touch /tmp/vnfkit-bash-env-pwned)' },
            ],
          },
          lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
          vdu: [{ name: 'vdu', scale_in_out: 1, vnfc: cp }],
        },
      ],
    };
    const nsrId = await h.sim.deploy(nsd, { packages: { 'bash-env-vnf': { scripts: scripts(['install.sh']) } } });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    await expect.poll(() => fromVnfm('ERROR', 'bash-env-vnf').length, { timeout: 10_000 }).toBe(1);
    const message = errorText('bash-env-vnf');
    expect(message).toContain('configuration key "BASH_ENV"');
    expect(message).toContain('environment variable "BASH_ENV" is refused');
    expect(message).toContain('VNFD bash-env-vnf');
    expect(message).not.toContain('touch');
    expect(fromVnfm('GRANT_OPERATION', 'bash-env-vnf')).toEqual([]);
    expect(fromVnfm('ALLOCATE_RESOURCES', 'bash-env-vnf')).toEqual([]);
    expect(h.vim.hostnames()).toHaveLength(vmsBefore);
  });

  it('dependency parameters that become LD_* at MODIFY: NS ERROR naming the key, the target runs no CONFIGURE script', async () => {
    // The target's `requires` names the source VNFD (ld-source_PRELOAD at INSTANTIATE is fine), but the NFVO keys
    // the dependency by the source's TYPE: the CONFIGURE variables would be LD_PRELOAD, LD_hostname, LD_private.
    const nsd: NetworkServiceDescriptor = {
      name: 'ld-ns',
      vnfd: [
        {
          name: 'ld-source',
          type: 'LD',
          endpoint: h.type,
          configurations: { name: 'c', configurationParameters: [{ confKey: 'PRELOAD', value: '/tmp/evil.so' }] },
          lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
          vdu: [{ name: 'src-vdu', scale_in_out: 1, vnfc: cp }],
        },
        {
          name: 'ld-target',
          type: 'client',
          endpoint: h.type,
          lifecycle_event: [
            { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
            { event: 'CONFIGURE', lifecycle_events: ['LD_configure.sh', 'generic_configure.sh'] },
          ],
          vdu: [{ name: 'dst-vdu', scale_in_out: 1, vnfc: cp }],
        },
      ],
      vnf_dependency: [{ source: { name: 'ld-source' }, target: { name: 'ld-target' }, parameters: ['PRELOAD'] }],
    };
    const nsrId = await h.sim.deploy(nsd, {
      packages: {
        'ld-source': { scripts: scripts(['install.sh']) },
        'ld-target': { scripts: scripts(['install.sh', 'LD_configure.sh', 'generic_configure.sh']) },
      },
    });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    await expect.poll(() => fromVnfm('ERROR', 'ld-target').length, { timeout: 10_000 }).toBe(1);
    const message = errorText('ld-target');
    expect(message).toMatch(/^MODIFY refused: the dependency of VNFR ld-target/);
    expect(message).toContain('dependency parameter "PRELOAD" of type "LD" (environment variable "LD_PRELOAD" is refused');
    expect(message).not.toContain('/tmp/evil.so');
    const target = h.sim.vnfr(nsrId, 'ld-target');
    const hostname = target.vdu?.[0]?.vnfc_instance?.[0]?.hostname ?? '';
    expect(hostname).not.toBe('');
    expect(await runs(h.vim, hostname)).toEqual(['install.sh']);
  });
});
