// buildVnfr: the VNFR a VNFM sends in GRANT_OPERATION, built from an INSTANTIATE as the NFVO sends it
// (VNFRUtils.createVirtualNetworkFunctionRecord of openbaton/vnfm-sdk 6.0.0), here the auto-scale policies
// and the VNFR-level connection points, from Open Baton's own SIPp sample NSD.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NetworkServiceDescriptor,
  OrVnfmInstantiateMessage,
  VirtualNetworkFunctionRecord,
  type VirtualNetworkFunctionDescriptor,
} from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { buildVnfr } from '../../src/vnfr.js';

const FIXTURE = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'fixtures',
  'openbaton-samples',
  'NetworkServiceDescriptor-SIPp-floatingIPs.json',
);
const nsd = NetworkServiceDescriptor.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));

/** Java `Map` fields: no id of their own (their values may be entities). */
const MAP_FIELDS = new Set(['requires', 'extension', 'vimInstances', 'metadata']);

/** Gives every entity an `id` and `hbVersion`, as the NFVO's database does when the NSD is onboarded. */
function withIds<T>(value: T, key?: string): T {
  if (Array.isArray(value)) return value.map((v) => withIds(v)) as T;
  if (value !== null && typeof value === 'object') {
    const o = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withIds(v, k)])) as Record<string, unknown>;
    if (key !== undefined && MAP_FIELDS.has(key)) return o as T;
    return { id: randomUUID(), hbVersion: 0, ...o } as T;
  }
  return value;
}

/** Every key path under `value` whose key is `id` or `hbVersion`. */
function idPaths(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => idPaths(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(k === 'id' || k === 'hbVersion' ? [`${path}.${k}`] : []),
      ...idPaths(v, `${path}.${k}`),
    ]);
  }
  return [];
}

function vnfdNamed(name: string): VirtualNetworkFunctionDescriptor {
  const vnfd = nsd.vnfd.find((v) => v.name === name);
  if (!vnfd) throw new Error(`the fixture has no VNFD ${name}`);
  return withIds(structuredClone(vnfd));
}

/** An INSTANTIATE as the NFVO (and NfvoSimulator.instantiate) sends it. */
function instantiateMessage(vnfd: VirtualNetworkFunctionDescriptor, nsrId = randomUUID()): OrVnfmInstantiateMessage {
  const vim = { id: randomUUID(), name: 'vim-1', type: 'test', active: true };
  const networks = [
    ...new Set(
      (vnfd.vdu ?? []).flatMap((v) =>
        (v.vnfc ?? []).flatMap((c) => (c.connection_point ?? []).map((cp) => cp.virtual_link_reference ?? 'private')),
      ),
    ),
  ];
  return OrVnfmInstantiateMessage.parse({
    action: 'INSTANTIATE',
    vnfd,
    vnfdf: vnfd.deployment_flavour?.[0] ?? { flavour_key: 'm1.small' },
    vnfInstanceName: vnfd.name,
    vlrs: networks.map((name) => ({ id: randomUUID(), name, extId: `net-${name}` })),
    extension: { 'nsr-id': nsrId, brokerIp: '127.0.0.1', brokerPort: '5672', monitoringIp: '', timezone: 'UTC' },
    vimInstances: Object.fromEntries((vnfd.vdu ?? []).map((v) => [v.id ?? '', [vim]])),
    vnfPackage: { id: randomUUID(), hbVersion: 0, name: vnfd.name, scripts: [] },
    keys: [],
  });
}

describe('buildVnfr: auto_scale_policy (SIPp floating-IPs sample)', () => {
  it('the fixture is what this test expects: policies whose actions have no target', () => {
    const client = vnfdNamed('sipp-client');
    expect(client.type).toBe('client');
    expect(client.auto_scale_policy?.map((p) => p.name)).toEqual(['scale-out', 'scale-in']);
    expect(client.auto_scale_policy?.flatMap((p) => p.actions ?? []).map((a) => a.target)).toEqual([undefined, undefined]);
  });

  it('copies each policy with its name, threshold, settings and alarms', () => {
    const vnfd = vnfdNamed('sipp-client');
    const vnfr = buildVnfr(instantiateMessage(vnfd));
    expect(vnfr.auto_scale_policy).toHaveLength(2);
    expect(vnfr.auto_scale_policy).toEqual([
      {
        name: 'scale-out',
        threshold: 100,
        comparisonOperator: '>=',
        period: 30,
        cooldown: 60,
        mode: 'REACTIVE',
        type: 'VOTED',
        alarms: [{ metric: 'system.cpu.util[,idle]', statistic: 'avg', comparisonOperator: '<=', threshold: 40, weight: 1 }],
        actions: [{ type: 'SCALE_OUT', value: '1', target: 'client' }],
      },
      {
        name: 'scale-in',
        threshold: 100,
        comparisonOperator: '>=',
        period: 30,
        cooldown: 60,
        mode: 'REACTIVE',
        type: 'VOTED',
        alarms: [{ metric: 'system.cpu.util[,idle]', statistic: 'avg', comparisonOperator: '>=', threshold: 60, weight: 1 }],
        actions: [{ type: 'SCALE_IN', value: '1', target: 'client' }],
      },
    ]);
  });

  it('every action without a target targets the VNFD type', () => {
    const vnfd = vnfdNamed('sipp-client');
    const vnfr = buildVnfr(instantiateMessage(vnfd));
    const actions = (vnfr.auto_scale_policy ?? []).flatMap((p) => p.actions ?? []);
    expect(actions.map((a) => a.type)).toEqual(['SCALE_OUT', 'SCALE_IN']);
    for (const action of actions) expect(action.target).toBe(vnfd.type);
  });

  it('an empty target also defaults to the VNFD type; an explicit target is kept', () => {
    const vnfd = vnfdNamed('sipp-client');
    const [out, into] = vnfd.auto_scale_policy ?? [];
    if (!out?.actions?.[0] || !into?.actions?.[0]) throw new Error('fixture changed');
    out.actions[0].target = 'server';
    out.actions.push({ id: randomUUID(), hbVersion: 0, type: 'SCALE_OUT', value: '2', target: '' });
    into.actions.push({ id: randomUUID(), hbVersion: 0, type: 'SCALE_IN', value: '1', target: 'other-type' });
    const vnfr = buildVnfr(instantiateMessage(vnfd));
    expect(vnfr.auto_scale_policy?.map((p) => p.actions?.map((a) => [a.type, a.value, a.target]))).toEqual([
      [
        ['SCALE_OUT', '1', 'server'],
        ['SCALE_OUT', '2', 'client'],
      ],
      [
        ['SCALE_IN', '1', 'client'],
        ['SCALE_IN', '1', 'other-type'],
      ],
    ]);
  });

  it('strips every id and hbVersion from the policies, their alarms and actions', () => {
    const vnfd = vnfdNamed('sipp-client');
    // The onboarded VNFD carries ids at every level of the policies.
    expect(idPaths(vnfd.auto_scale_policy)).toEqual(
      expect.arrayContaining(['$[0].id', '$[0].alarms[0].id', '$[0].actions[0].id', '$[1].actions[0].hbVersion']),
    );
    const vnfr = buildVnfr(instantiateMessage(vnfd));
    expect(idPaths(vnfr.auto_scale_policy)).toEqual([]);
    expect(JSON.stringify(vnfr.auto_scale_policy)).not.toMatch(/"(id|hbVersion)"/);
  });

  it('leaves the INSTANTIATE message untouched (no target written into the VNFD)', () => {
    const vnfd = vnfdNamed('sipp-client');
    const message = instantiateMessage(vnfd);
    const before = structuredClone(message);
    const vnfr = buildVnfr(message);
    expect(message).toEqual(before);
    vnfr.auto_scale_policy?.[0]?.actions?.splice(0);
    expect(message.vnfd.auto_scale_policy?.[0]?.actions).toHaveLength(1);
  });

  it('a VNFD without policies gives an empty auto_scale_policy (as upstream’s new HashSet)', () => {
    const vnfd = vnfdNamed('sipp-server');
    expect(vnfd.auto_scale_policy).toBeUndefined();
    expect(buildVnfr(instantiateMessage(vnfd)).auto_scale_policy).toEqual([]);
  });
});

describe('buildVnfr: VNFR-level connection_point', () => {
  it('is copied from the VNFD when it has one', () => {
    const vnfd = vnfdNamed('sipp-client');
    expect(vnfd.connection_point).toBeUndefined(); // the sample has none: add one
    const cp = { id: randomUUID(), hbVersion: 1, type: 'LAN', virtual_link_reference: 'private', floatingIp: 'random', interfaceId: 0 };
    vnfd.connection_point = [cp];
    const message = instantiateMessage(vnfd);
    const vnfr = buildVnfr(message);
    // Upstream adds the VNFD's own ConnectionPoint entities to the VNFR (VNFRUtils), so they keep their ids.
    expect(vnfr.connection_point).toEqual([cp]);
    // A copy, not the VNFD's objects.
    expect(vnfr.connection_point?.[0]).not.toBe(message.vnfd.connection_point?.[0]);
    if (vnfr.connection_point?.[0]) vnfr.connection_point[0].floatingIp = 'changed';
    expect(message.vnfd.connection_point?.[0]?.floatingIp).toBe('random');
  });

  it('is empty when the VNFD has none', () => {
    expect(buildVnfr(instantiateMessage(vnfdNamed('sipp-client'))).connection_point).toEqual([]);
  });
});

describe('buildVnfr: the whole record', () => {
  for (const name of ['sipp-client', 'sipp-server']) {
    it(`${name}: parses with the protocol VirtualNetworkFunctionRecord schema`, () => {
      const vnfd = vnfdNamed(name);
      vnfd.connection_point = [{ id: randomUUID(), hbVersion: 0, virtual_link_reference: 'private', interfaceId: 0 }];
      const nsrId = randomUUID();
      const vnfr = buildVnfr(instantiateMessage(vnfd, nsrId));
      const parsed = VirtualNetworkFunctionRecord.safeParse(vnfr);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(parsed.data).toEqual(vnfr);
      // And it survives the JSON wire as is (no undefined members, nothing lost).
      expect(JSON.parse(JSON.stringify(vnfr))).toEqual(vnfr);
      expect(vnfr).toMatchObject({
        name,
        type: vnfd.type,
        endpoint: 'generic',
        parent_ns_id: nsrId,
        status: 'NULL',
        descriptor_reference: vnfd.id,
      });
      expect(vnfr.id).toBeUndefined();
    });
  }
});
