import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBaseEnv } from '../../src/env/index.js';

describe('buildBaseEnv', () => {
  it('takes provides with values, then configurations overriding them, names sanitised, values untouched', () => {
    const env = buildBaseEnv({
      provides: {
        configurationParameters: [{ confKey: 'port', value: '80' }, { confKey: 'unfilled' }, { confKey: 'shared', value: 'from-provides' }],
      },
      configurations: {
        configurationParameters: [
          { confKey: 'shared', value: 'from-config' },
          { confKey: 'net-one.key', value: 'a b $HOME "q"' },
          { confKey: 'count', value: 3 },
        ],
      },
    });
    expect(env).toEqual({ port: '80', shared: 'from-config', net_one_key: 'a b $HOME "q"', count: '3' });
  });

  it('a configuration without value removes a provides value of the same name (upstream null override)', () => {
    const env = buildBaseEnv({
      provides: { configurationParameters: [{ confKey: 'x', value: '1' }] },
      configurations: { configurationParameters: [{ confKey: 'x', value: null }] },
    });
    expect(env).toEqual({});
  });

  it('works with only one of the two blocks (upstream returned nothing then)', () => {
    expect(buildBaseEnv({ configurations: { configurationParameters: [{ confKey: 'a', value: '1' }] } })).toEqual({ a: '1' });
    expect(buildBaseEnv({ provides: { configurationParameters: [{ confKey: 'b', value: '2' }] } })).toEqual({ b: '2' });
    expect(buildBaseEnv({})).toEqual({});
  });

  it('keeps a key named __proto__ as an ordinary variable', () => {
    const env = buildBaseEnv({ configurations: { configurationParameters: [{ confKey: '__proto__', value: 'p' }] } });
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(JSON.stringify(env)).toBe('{"__proto__":"p"}');
  });

  it('every produced name is a legal environment name and every value is a given string', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ confKey: fc.string({ minLength: 1 }), value: fc.string() })), (params) => {
        const env = buildBaseEnv({ configurations: { configurationParameters: params } });
        const values = new Set(params.map((p) => p.value));
        for (const [name, value] of Object.entries(env)) {
          expect(name).toMatch(/^[A-Za-z0-9_]+$/);
          expect(values.has(value)).toBe(true);
        }
      }),
    );
  });
});
