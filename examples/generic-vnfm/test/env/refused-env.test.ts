import { describe, expect, it } from 'vitest';
import {
  RefusedEnvKeyError,
  assertEnvNamesAllowed,
  buildBaseEnv,
  dependencyEnvNames,
  descriptorEnvNames,
  recordEnvNames,
  refusedEnvKeys,
  typedDependencyEnvs,
  vnfcEnv,
} from '../../src/env/index.js';

describe('descriptor keys that would become refused variables (issue #15)', () => {
  const vnfd = {
    name: 'web',
    configurations: {
      configurationParameters: [
        { confKey: 'port', value: '80' },
        { confKey: 'BASH-ENV', value: 'x' },
        { confKey: 'MYSQL_ROOT_PASSWORD', value: 'pw' },
      ],
    },
    provides: ['LD_PRELOAD', 'url'],
    requires: { LD: { parameters: ['LIBRARY_PATH', null] }, server: { parameters: ['private'] } },
    vdu: [{ vnfc: [{ connection_point: [{ virtual_link_reference: 'PATH' }, { virtual_link_reference: 'private' }] }] }],
  };

  it('checks the names as the env modules form them (sanitised), with their origin', () => {
    const refused = refusedEnvKeys(descriptorEnvNames(vnfd));
    expect(refused.map((r) => [r.name, r.origin])).toEqual([
      ['BASH_ENV', 'configuration key "BASH-ENV"'],
      ['LD_PRELOAD', 'provides key "LD_PRELOAD"'],
      ['LD_LIBRARY_PATH', 'requires parameter "LIBRARY_PATH" of "LD"'],
      ['PATH', 'network "PATH"'],
    ]);
    // the same names buildBaseEnv and vnfcEnv produce
    expect(Object.keys(buildBaseEnv({ configurations: vnfd.configurations }))).toContain('BASH_ENV');
    expect(Object.keys(vnfcEnv({ hostname: 'h', ips: [{ netName: 'PATH', ip: '10.0.0.1' }] }))).toContain('PATH');
  });

  it('lets allowed names through', () => {
    expect(refusedEnvKeys(descriptorEnvNames(vnfd), ['BASH_ENV', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH'])).toEqual([]);
  });

  it('throws an error naming each key, the variable and the VNFD', () => {
    expect(() => assertEnvNamesAllowed('INSTANTIATE refused: VNFD web', descriptorEnvNames(vnfd))).toThrow(RefusedEnvKeyError);
    try {
      assertEnvNamesAllowed('INSTANTIATE refused: VNFD web', descriptorEnvNames(vnfd));
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(
        /^INSTANTIATE refused: VNFD web: configuration key "BASH-ENV" \(environment variable "BASH_ENV" is refused: /,
      );
      expect(message).toContain('network "PATH" (environment variable "PATH" is refused');
      expect(message).not.toContain('"port"');
    }
    expect(() =>
      assertEnvNamesAllowed('x', recordEnvNames({ configurations: { configurationParameters: [{ confKey: 'port' }] } })),
    ).not.toThrow();
  });

  it('checks dependency parameters as typedDependencyEnvs names them: <type>_<key>', () => {
    const dependency = {
      parameters: { LD: { parameters: { PRELOAD: '/x.so' } }, server: { parameters: { PATH: 'ignored: server has no VNFC entry' } } },
      vnfcParameters: { LD: { parameters: { vnfc1: { parameters: { hostname: 'h1', private: '10.0.0.1' } } } } },
    };
    const formed = typedDependencyEnvs(dependency, 'LD')?.flatMap((e) => Object.keys(e.env)) ?? [];
    expect(
      dependencyEnvNames(dependency)
        .map((n) => n.name)
        .sort(),
    ).toEqual([...formed].sort());
    expect(refusedEnvKeys(dependencyEnvNames(dependency)).map((r) => r.origin)).toEqual([
      'dependency parameter "PRELOAD" of type "LD"',
      'dependency parameter "hostname" of type "LD"',
      'dependency parameter "private" of type "LD"',
    ]);
    expect(
      dependencyEnvNames({ vnfcParameters: { server: { parameters: { v: { parameters: { hostname: 'h' } } } } } }).map((n) => n.name),
    ).toEqual(['server_hostname']);
    expect(dependencyEnvNames(undefined)).toEqual([]);
  });
});
