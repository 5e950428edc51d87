import { describe, expect, it } from 'vitest';
import { dependencyPayload, sourceTypeOf, typedDependencyEnvs } from '../../src/env/index.js';

const dependency = {
  target: 'iperf-client',
  parameters: { server: { parameters: { private: '', confParam: '42' } } },
  vnfcParameters: {
    server: {
      parameters: {
        'vnfc-b': { parameters: { private: '192.168.1.8', hostname: 'iperf-server-2' } },
        'vnfc-a': { parameters: { private: '192.168.1.7', private_floatingIp: '172.24.4.20', hostname: 'iperf-server-1' } },
      },
    },
    'sipp-server': { parameters: { x: { parameters: { 'net-1': '10.0.0.1' } } } },
  },
  idType: { 'iperf-server': 'server' },
};

describe('sourceTypeOf', () => {
  it('is the part before the first underscore', () => {
    expect(sourceTypeOf('server_configure.sh')).toBe('server');
    expect(sourceTypeOf('database_connect_to_db.sh')).toBe('database');
    expect(sourceTypeOf('configure.sh')).toBeUndefined();
    expect(sourceTypeOf('_x.sh')).toBe('');
  });
});

describe('typedDependencyEnvs', () => {
  it('gives one env per source VNFC (sorted by id): VNF-level <type>_<key>, then VNFC-level winning', () => {
    expect(typedDependencyEnvs(dependency, 'server')).toEqual([
      {
        sourceVnfcId: 'vnfc-a',
        env: {
          server_private: '192.168.1.7',
          server_confParam: '42',
          server_private_floatingIp: '172.24.4.20',
          server_hostname: 'iperf-server-1',
        },
      },
      {
        sourceVnfcId: 'vnfc-b',
        env: { server_private: '192.168.1.8', server_confParam: '42', server_hostname: 'iperf-server-2' },
      },
    ]);
  });

  it('sanitises the whole <type>_<key> name', () => {
    expect(typedDependencyEnvs(dependency, 'sipp-server')).toEqual([{ sourceVnfcId: 'x', env: { sipp_server_net_1: '10.0.0.1' } }]);
  });

  it('is undefined when the type is not a dependency source (the script is untyped then)', () => {
    expect(typedDependencyEnvs(dependency, 'client')).toBeUndefined();
    expect(typedDependencyEnvs(dependency, 'toString')).toBeUndefined();
    expect(typedDependencyEnvs(undefined, 'server')).toBeUndefined();
    expect(typedDependencyEnvs({}, 'server')).toBeUndefined();
  });

  it('gives no env when the source type lists no VNFC', () => {
    expect(typedDependencyEnvs({ vnfcParameters: { server: { parameters: {} } } }, 'server')).toEqual([]);
  });
});

describe('dependencyPayload', () => {
  it('is the whole dependency as a JSON string', () => {
    expect(JSON.parse(dependencyPayload(dependency))).toEqual(dependency);
  });
});
