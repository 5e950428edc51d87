import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkServiceDescriptor, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { buildDependency, planDependencies } from '../../src/testing/dependencies.js';

const sample = (file: string): NetworkServiceDescriptor =>
  NetworkServiceDescriptor.parse(
    JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'openbaton-samples', file), 'utf8')),
  );

const vnfr = (
  name: string,
  type: string,
  opts: { vnfcs: { id: string; hostname: string; ip: string; fip?: string }[]; provides?: Record<string, string> },
): VirtualNetworkFunctionRecord => ({
  name,
  type,
  provides: { configurationParameters: Object.entries(opts.provides ?? {}).map(([confKey, value]) => ({ confKey, value })) },
  configurations: { configurationParameters: [{ confKey: 'conf3', value: 'c3' }] },
  vdu: [
    {
      vnfc_instance: opts.vnfcs.map((c) => ({
        id: c.id,
        hostname: c.hostname,
        ips: [{ netName: 'private', ip: c.ip }],
        floatingIps: c.fip ? [{ netName: 'private', ip: c.fip }] : [],
      })),
    },
  ],
});

describe('dependency parameters for real Open Baton sample NSDs', () => {
  it('iperf (vnf_dependency): the client gets the server private IP per server VNFC', () => {
    const [plan] = planDependencies(sample('NetworkServiceDescriptor-iperf-dummy.json'));
    expect(plan?.target).toBe('iperf-client');
    const dep = buildDependency({
      plan: plan!,
      sources: [vnfr('iperf-server', 'server', { vnfcs: [{ id: 'c1', hostname: 'iperf-server-1', ip: '10.0.0.5' }] })],
    });
    expect(dep).toEqual({
      target: 'iperf-client',
      idType: { 'iperf-server': 'server' },
      parameters: { server: { parameters: { private: '' } } },
      vnfcParameters: { server: { parameters: { c1: { parameters: { private: '10.0.0.5' } } } } },
    });
  });

  it('SIPp with floating IPs (VNFD requires): private and hostname for each sipp-server VNFC', () => {
    const plans = planDependencies(sample('NetworkServiceDescriptor-SIPp-floatingIPs.json'));
    expect(plans.map((p) => [p.target, [...p.sources.entries()]])).toEqual([['sipp-client', [['sipp-server', ['private', 'hostname']]]]]);
    const dep = buildDependency({
      plan: plans[0]!,
      sources: [
        vnfr('sipp-server', 'server', {
          vnfcs: [
            { id: 'a', hostname: 'sipp-server-1', ip: '10.0.0.7', fip: '172.24.4.9' },
            { id: 'b', hostname: 'sipp-server-2', ip: '10.0.0.8' },
          ],
        }),
      ],
    });
    expect(dep.vnfcParameters?.['server']?.parameters).toEqual({
      a: { parameters: { private: '10.0.0.7', hostname: 'sipp-server-1' } },
      b: { parameters: { private: '10.0.0.8', hostname: 'sipp-server-2' } },
    });
  });

  it('many dependencies: VNF-level values from provides and configurations; several sources per target', () => {
    const plans = planDependencies(sample('NetworkServiceDescriptor-with-many-dependencies.json'));
    const target2 = plans.find((p) => p.target === 'vnf-dummy-2');
    const nsd = sample('NetworkServiceDescriptor-with-many-dependencies.json');
    const expected = (nsd.vnf_dependency ?? [])
      .filter((d) => (typeof d.target === 'string' ? d.target : d.target.name) === 'vnf-dummy-2')
      .map((d) => (typeof d.source === 'string' ? d.source : d.source.name));
    expect([...(target2?.sources.keys() ?? [])].sort()).toEqual([...new Set(expected)].sort());
    expect(expected).toEqual(expect.arrayContaining(['vnf-dummy-1', 'vnf-dummy-3']));
    const dep = buildDependency({
      plan: target2!,
      sources: [
        vnfr('vnf-dummy-1', 'dummy1', { vnfcs: [], provides: { param1: 'p1', param2: 'p2' } }),
        vnfr('vnf-dummy-3', 'dummy3', { vnfcs: [], provides: { param1: 'q1' } }),
      ],
    });
    expect(dep.parameters).toEqual({
      dummy1: { parameters: { param1: 'p1', param2: 'p2' } },
      dummy3: { parameters: { param1: 'q1', param2: '' } },
    });
    expect(dep.idType).toEqual({ 'vnf-dummy-1': 'dummy1', 'vnf-dummy-3': 'dummy3' });
  });

  it('ncat complex: a chain of targets', () => {
    const plans = planDependencies(sample('NetworkServiceDescriptor-ncat-complex.json'));
    const nsd = sample('NetworkServiceDescriptor-ncat-complex.json');
    const into5 = new Set(
      (nsd.vnf_dependency ?? [])
        .filter((d) => (typeof d.target === 'string' ? d.target : d.target.name) === 'ncatpeer5')
        .map((d) => (typeof d.source === 'string' ? d.source : d.source.name)),
    );
    expect(plans.find((p) => p.target === 'ncatpeer5')?.sources.size).toBe(into5.size);
    expect(into5.size).toBeGreaterThan(1);
    expect(plans.find((p) => p.target === 'ncatpeer1')?.sources.has('ncatpeer2')).toBe(true);
  });

  it('restricts VNFC parameters to the new VNFC after a scale-out', () => {
    const [plan] = planDependencies(sample('NetworkServiceDescriptor-iperf-dummy.json'));
    const server = vnfr('iperf-server', 'server', {
      vnfcs: [
        { id: 'old', hostname: 's-1', ip: '10.0.0.1' },
        { id: 'new', hostname: 's-2', ip: '10.0.0.2' },
      ],
    });
    const onlyNew = server.vdu?.[0]?.vnfc_instance?.filter((c) => c.id === 'new');
    const dep = buildDependency({ plan: plan!, sources: [server], ...(onlyNew ? { onlyVnfcs: onlyNew } : {}) });
    expect(Object.keys(dep.vnfcParameters?.['server']?.parameters ?? {})).toEqual(['new']);
  });
});
