// The Open Baton 6.0 NFVO's NSD and scaling rules the simulator applies, as pure functions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkServiceDescriptor, VirtualDeploymentUnit } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { planDependencies } from '../../src/testing/dependencies.js';
import {
  NfvoRefusedError,
  checkDependencyParameters,
  checkLifecycleEvents,
  checkScaleIn,
  checkScaleOut,
  checkScaleOutAnyVdu,
  dependenciesFromRequires,
  mergedDependencies,
  validateNsd,
} from '../../src/testing/nsd-rules.js';

const raw = (file: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'openbaton-samples', file), 'utf8'));
const vdu = (scaleInOut: number | undefined, instances: number): VirtualDeploymentUnit => ({
  name: 'vdu',
  ...(scaleInOut === undefined ? {} : { scale_in_out: scaleInOut }),
  vnfc_instance: Array.from({ length: instances }, (_, i) => ({ hostname: `h-${i}` })),
});
const vnfd = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: name,
  endpoint: 'dummy',
  vdu: [{ name: 'v', vnfc: [{}] }],
  ...extra,
});

describe('lifecycle events (NSDUtils.checkIntegrityLifecycleEvents)', () => {
  it('refuses the wrong-lifecycle-name sample with the NFVO message', () => {
    expect(() => checkLifecycleEvents(raw('NetworkServiceDescriptor-wrong-lifecycle-name.json'))).toThrow(
      new NfvoRefusedError('Event in one LifecycleEvent of VNFD undefinedlifecycleevent does not exist'),
    );
  });

  it('refuses a null entry and an entry without event; accepts every Event name', () => {
    expect(() => checkLifecycleEvents({ vnfd: [vnfd('a', { lifecycle_event: [null] })] })).toThrow('LifecycleEvent in VNFD a is null');
    expect(() => checkLifecycleEvents({ vnfd: [vnfd('b', { lifecycle_event: [{ lifecycle_events: ['x.sh'] }] })] })).toThrow(
      'Event in one LifecycleEvent of VNFD b does not exist',
    );
    expect(() => checkLifecycleEvents({ vnfd: [vnfd('c', { lifecycle_event: [{ event: 'instantiate' }] })] })).toThrow(
      'Event in one LifecycleEvent of VNFD c does not exist',
    );
    const all = [
      'GRANTED',
      'ALLOCATE',
      'SCALE',
      'RELEASE',
      'ERROR',
      'INSTANTIATE',
      'TERMINATE',
      'CONFIGURE',
      'START',
      'STOP',
      'HEAL',
      'SCALE_OUT',
      'SCALE_IN',
      'SCALE_UP',
      'SCALE_DOWN',
      'UPDATE',
      'UPDATE_ROLLBACK',
      'UPGRADE',
      'UPGRADE_ROLLBACK',
      'RESET',
    ];
    expect(() => checkLifecycleEvents({ vnfd: [vnfd('d', { lifecycle_event: all.map((event) => ({ event })) })] })).not.toThrow();
  });
});

describe('requires → dependencies (NSDUtils.getVNFDependenciesFromRequires)', () => {
  it('the requires-provides sample: key = source, holder = target, parameters = the entry', () => {
    const nsd = validateNsd(raw('NetworkServiceDescriptor-iperf-dummy-requires-provides.json'));
    expect(dependenciesFromRequires(nsd)).toEqual([{ source: 'iperf-server', target: 'iperf-client', parameters: ['private'] }]);
    expect(planDependencies(nsd).map((p) => [p.target, [...p.sources.entries()]])).toEqual([
      ['iperf-client', [['iperf-server', ['private']]]],
    ]);
  });

  it('refuses a key that names no VNFD of the NSD', () => {
    const nsd = {
      name: 'ns',
      vnfd: [vnfd('srv'), vnfd('cli', { requires: { 'no-such': { parameters: ['private'] } } })],
    } as NetworkServiceDescriptor;
    expect(() => dependenciesFromRequires(nsd)).toThrow(
      'VNFD source name no-such from the requires field in the VNFD cli was not found in the NSD.',
    );
    expect(() => validateNsd(nsd)).toThrow(NfvoRefusedError);
    expect(() => planDependencies(nsd)).toThrow('VNFD source name no-such');
  });

  it('skips entries with null or empty parameters', () => {
    const nsd = {
      name: 'ns',
      vnfd: [vnfd('a'), vnfd('b'), vnfd('c', { requires: { a: { parameters: [] }, b: {} } })],
    } as NetworkServiceDescriptor;
    expect(dependenciesFromRequires(nsd)).toEqual([]);
    expect(planDependencies(nsd)).toEqual([]);
    const withNull = validateNsd({ name: 'ns', vnfd: [vnfd('a'), vnfd('c', { requires: { a: { parameters: null } } })] });
    expect(dependenciesFromRequires(withNull)).toEqual([]);
  });

  it('merges with vnf_dependency per (source, target), parameters united', () => {
    const nsd = {
      name: 'ns',
      vnfd: [vnfd('srv'), vnfd('cli', { requires: { srv: { parameters: ['private', 'hostname'] } } })],
      vnf_dependency: [{ source: { name: 'srv' }, target: { name: 'cli' }, parameters: ['private', 'mgmt'] }],
    } as NetworkServiceDescriptor;
    expect(mergedDependencies(nsd)).toEqual([{ source: 'srv', target: 'cli', parameters: ['private', 'mgmt', 'hostname'] }]);
    expect([...(planDependencies(nsd)[0]?.sources.entries() ?? [])]).toEqual([['srv', ['private', 'mgmt', 'hostname']]]);
  });
});

describe('NSD integrity', () => {
  it('refuses a vnf_dependency without parameters (NSDUtils.checkIntegrity)', () => {
    const nsd = {
      name: 'ns',
      vnfd: [vnfd('a'), vnfd('b')],
      vnf_dependency: [{ source: 'a', target: 'b', parameters: [] }],
    } as NetworkServiceDescriptor;
    expect(() => checkDependencyParameters(nsd)).toThrow('Not found any parameters in one of the VNF dependencies defined');
    expect(() => validateNsd({ ...nsd, vnf_dependency: [{ source: 'a', target: 'b' }] })).toThrow(
      'Not found any parameters in one of the VNF dependencies defined',
    );
  });

  it('refuses an NSD the protocol schema rejects, naming the field; lifecycle events are checked first', () => {
    expect(() => validateNsd({ name: 'ns', vnfd: [vnfd('a', { vdu: 'x' })] })).toThrow(
      /^NSD ns is not a valid NetworkServiceDescriptor: at vnfd\[0\]\.vdu: /,
    );
    expect(() => validateNsd({ name: 'ns' })).toThrow(/at vnfd: /);
    expect(() => validateNsd({ name: 'ns', vnfd: [vnfd('a', { vdu: 'x', lifecycle_event: [{ event: 'NOPE' }] })] })).toThrow(
      'Event in one LifecycleEvent of VNFD a does not exist',
    );
  });

  it('accepts the Open Baton samples and reads null members as unset (Gson)', () => {
    for (const file of [
      'NetworkServiceDescriptor-iperf-dummy.json',
      'NetworkServiceDescriptor-iperf-dummy-requires-provides.json',
      'NetworkServiceDescriptor-with-many-dependencies.json',
      'NetworkServiceDescriptor-ncat-complex.json',
      'NetworkServiceDescriptor-SIPp-floatingIPs.json',
    ]) {
      expect(() => validateNsd(raw(file)), file).not.toThrow();
    }
    expect(validateNsd({ name: 'ns', vnfd: [vnfd('a', { requires: null, vendor: null })] }).vnfd[0]).not.toHaveProperty('requires');
  });
});

describe('scaling limits (NetworkServiceRecordManagement)', () => {
  it('scale-out of the chosen VDU is refused at scale_in_out VNFC instances', () => {
    expect(() => checkScaleOut(vdu(2, 2))).toThrow(
      new NfvoRefusedError('The VirtualDeploymentUnit chosen has reached the maximum number of VNFCInstance'),
    );
    expect(() => checkScaleOut(vdu(2, 1))).not.toThrow();
    expect(() => checkScaleOut(vdu(undefined, 1))).not.toThrow(); // an unset Java int is 0: never equal
  });

  it('scale-out without a chosen VDU is refused only when every VDU is full', () => {
    expect(() => checkScaleOutAnyVdu([vdu(1, 1), vdu(3, 3)])).toThrow(
      'All VirtualDeploymentUnits have reached their maximum number of VNFCInstances',
    );
    expect(() => checkScaleOutAnyVdu([vdu(1, 1), vdu(3, 2)])).not.toThrow();
  });

  it('scale-in of the last VNFC instance is refused', () => {
    expect(() => checkScaleIn(vdu(3, 1))).toThrow(
      new NfvoRefusedError('The VirtualDeploymentUnit chosen has reached the minimum number of VNFCInstance'),
    );
    expect(() => checkScaleIn(vdu(3, 2))).not.toThrow();
  });
});
