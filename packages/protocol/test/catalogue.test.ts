import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NetworkServiceDescriptor,
  VirtualNetworkFunctionDescriptor,
  VirtualNetworkFunctionRecord,
  VimInstance,
  lowestStatus,
  vimInstanceKind,
} from '../src/index.js';
import { canonical, samples } from './helpers.js';

describe('Open Baton sample descriptors', () => {
  const all = samples().filter(([f]) => !['dummy-vim.json', 'vim-instance.json'].includes(f));
  it.each(all)('%s parses and round-trips unchanged', (file, json) => {
    const schema = Array.isArray((json as { vnfd?: unknown }).vnfd) ? NetworkServiceDescriptor : VirtualNetworkFunctionDescriptor;
    const result = schema.safeParse(json);
    if (file === 'NetworkServiceDescriptor-wrong-lifecycle-name.json') {
      // The integration-test NSD with a misspelt lifecycle event: the NFVO refuses it, so do we.
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues[0]?.path)).toContain('lifecycle_event');
      return;
    }
    expect(result.error).toBeUndefined();
    expect(canonical(result.data)).toEqual(canonical(json));
  });
  it.each(samples().filter(([f]) => ['dummy-vim.json', 'vim-instance.json'].includes(f)))('%s parses as a VIM instance', (_f, json) => {
    expect(VimInstance.parse(json)).toEqual(json);
  });
});

describe('helpers of the catalogue', () => {
  it('computes the NSR status as the lowest VNFR status, TERMINATED winning', () => {
    expect(lowestStatus(['ACTIVE', 'INACTIVE', 'ACTIVE'])).toBe('INACTIVE');
    expect(lowestStatus(['ACTIVE', 'ERROR'])).toBe('ERROR');
    expect(lowestStatus(['ERROR', 'TERMINATED'])).toBe('TERMINATED');
    // VnfmManager.findAndSetNSRStatus starts from TERMINATED: RESUMING (ordered above it) never shows.
    expect(lowestStatus(['RESUMING', 'ACTIVE'])).toBe('ACTIVE');
    expect(lowestStatus(['RESUMING'])).toBe('TERMINATED');
    expect(lowestStatus([])).toBe('TERMINATED');
  });
  it('maps VIM types to the NFVO classes', () => {
    expect(vimInstanceKind('openstack')).toBe('OpenstackVimInstance');
    expect(vimInstanceKind('docker.local')).toBe('DockerVimInstance');
    expect(vimInstanceKind('amazon')).toBe('AmazonVimInstance');
    expect(vimInstanceKind('test')).toBe('GenericVimInstance');
    // NfvoGsonDeserializerVimInstance: first letter upper-cased, the rest as written; no such class → Generic.
    expect(vimInstanceKind('Openstack')).toBe('OpenstackVimInstance');
    expect(vimInstanceKind('OpenStack')).toBe('GenericVimInstance');
    expect(vimInstanceKind('OPENSTACK.region')).toBe('GenericVimInstance');
    expect(vimInstanceKind('openstack.')).toBe('GenericVimInstance');
    expect(vimInstanceKind('openstack.a.b')).toBe('OpenstackVimInstance');
    expect(vimInstanceKind('')).toBe('GenericVimInstance');
  });
});

// Property: any VNFR, with arbitrary unknown fields anywhere we model, survives parse + re-encode unchanged.
const key = fc.string({ minLength: 1, maxLength: 8 }).map((s) => `x_${s}`);
const extras = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const ip = fc.record({ netName: fc.string(), ip: fc.ipV4() });
const vnfcInstance = fc
  .tuple(
    fc.record({
      id: fc.uuid(),
      hbVersion: fc.nat(),
      hostname: fc.string(),
      state: fc.constantFrom('ACTIVE', 'INACTIVE', 'STANDBY'),
      ips: fc.array(ip, { maxLength: 2 }),
    }),
    extras,
  )
  .map(([a, b]) => ({ ...b, ...a }));
const vdu = fc
  .tuple(
    fc.record({
      id: fc.uuid(),
      hbVersion: fc.nat(),
      name: fc.string(),
      vm_image: fc.array(fc.string(), { maxLength: 2 }),
      scale_in_out: fc.nat(5),
      vnfc_instance: fc.array(vnfcInstance, { maxLength: 3 }),
    }),
    extras,
  )
  .map(([a, b]) => ({ ...b, ...a }));
const vnfr = fc
  .tuple(
    fc.record({
      id: fc.uuid(),
      hbVersion: fc.nat(),
      name: fc.string(),
      type: fc.string(),
      parent_ns_id: fc.uuid(),
      status: fc.constantFrom('ERROR', 'NULL', 'INITIALIZED', 'INACTIVE', 'SCALING', 'ACTIVE', 'TERMINATED', 'RESUMING'),
      configurations: fc.record({
        name: fc.string(),
        configurationParameters: fc.array(fc.record({ confKey: fc.string(), value: fc.string() }), { maxLength: 3 }),
      }),
      lifecycle_event: fc.array(
        fc.record({
          event: fc.constantFrom('INSTANTIATE', 'CONFIGURE', 'START'),
          lifecycle_events: fc.array(fc.string(), { maxLength: 3 }),
        }),
        { maxLength: 3 },
      ),
      vdu: fc.array(vdu, { maxLength: 2 }),
    }),
    extras,
  )
  .map(([a, b]) => ({ ...b, ...a }));

describe('property: VNFR round trip', () => {
  it('parse → JSON equals the input', () => {
    fc.assert(
      fc.property(vnfr, (record) => {
        const input = JSON.parse(JSON.stringify(record)) as unknown;
        const parsed = VirtualNetworkFunctionRecord.parse(input);
        expect(canonical(JSON.parse(JSON.stringify(parsed)))).toEqual(canonical(input));
      }),
      { numRuns: 200 },
    );
  });
});
