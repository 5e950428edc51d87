import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { toYaml } from '../../src/scripts/yaml-text.js';

/** A VNFRecordDependency as the NFVO sends it (two source VNFCs, one VNF-level value left empty). */
const DEPENDENCY = {
  target: 'iperf-client',
  idType: { 'iperf-server': 'server', 'sipp-server': 'sipp' },
  parameters: { server: { parameters: { private: '', conf: "it's got spaces; $(rm -rf /)" } }, sipp: { parameters: {} } },
  vnfcParameters: {
    server: {
      parameters: {
        'f907f29f-5e19-4e5a-9b57-46b9695906c8': {
          parameters: { private: '192.168.1.7', private_floatingIp: '172.24.4.10', hostname: 'iperf-server-4821733' },
        },
        'ci-2': { parameters: { private: '192.168.1.8' } },
      },
    },
    sipp: { parameters: { 'ci-3': { parameters: { 'net-one': '10.0.0.1', hostname: 'sipp-server-1' } } } },
  },
};

/** Strings that a YAML 1.1 or 1.2 parser reads as something else, or that break the line they are on, when plain. */
const TRICKY = [
  ...['yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'y', 'Y', 'n', 'N', 'yEs'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', '~', '', ' ', '  '],
  ...['0', '123', '-1', '+1', '01', '0777', '0x1f', '0X1F', '0o7', '0b101', '1e3', '1E3', '1.5', '.5', '1.', '-.5', '1_000'],
  ...['.inf', '-.inf', '+.INF', '.nan', '.NaN', '12:30', '190:20:30.15', '-1:30', '2001-12-14', '2001-12-14t21:59:43.10-05:00'],
  ...['2001-12-14 21:59:43.10 -5', '10.0.0.1', '1.2.3', '<<', '=', '---', '...', '--- x', '- x', '-x', '-'],
  ...['?', '? x', '?x', ':', ':x', 'x:', ',x', '[x', ']', '{x', '}', '#x', '&a', '*a', '!tag', '!!str', '|', '>', "'x", '"x'],
  ...['%YAML', '@x', '`x', 'a: b', 'a:b', 'a #b', 'a#b', ' a', 'a ', 'a\nb', 'line1\nline2\n', '\n', '\r\n', 'a\rb', 'a\tb', '\t'],
  ...['\u0000', '\u0007', '\b', '\f', '\v', '\u001b[0m', '\u007f', '\u0085', '\u0080', '\u009f', '\u00a0', '\u2028', '\u2029'],
  ...['\ufeff', '\ufffe', '\uffff', '\ud800', '\udfff', 'a\ud800b', '😀', 'ü', 'Grüße', '日本語', 'a\\b', 'a"b', "a'b", 'a/b'],
  ...['http://10.0.0.1:8080/x?a=b&c', '$(rm -rf /)', 'x'.repeat(2000), '__proto__', 'constructor', 'toString'],
];

// toEqual, not toStrictEqual: the latter compares `constructor` properties, which JSON data may have as keys.
function roundTrips(value: unknown): void {
  const text = toYaml(value);
  expect(parse(text), text).toEqual(value);
  expect(parse(text, { version: '1.1' }), text).toEqual(value);
}

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = [...'aZ_09.-/ :#?,[]{}&*!|>\'"%@`~=<+\\\t\n\r\u0000\u001f\u007f\u0085\u00a0üß😀\u2028\u2029\ufeff\ud800\udc00'];
const NUMBERS = [0, -1, 1, 42, -7.25, 0.1, 1e21, 1.5e-7, 5e-324, Number.MAX_VALUE, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2];

/** Random JSON values of nested objects and arrays, with strings from {@link TRICKY} and random characters. */
function generator(seed: number): () => unknown {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const string = (): string => {
    const kind = next();
    if (kind < 0.4) return pick(TRICKY);
    if (kind < 0.6) return `${pick(TRICKY)}${pick(CHARS)}${pick(TRICKY)}`;
    return Array.from({ length: Math.floor(next() * 8) }, () => pick(CHARS)).join('');
  };
  const value = (depth: number): unknown => {
    const kind = next();
    if (depth < 4 && kind < 0.25)
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [string(), value(depth + 1)]));
    if (depth < 4 && kind < 0.4) return Array.from({ length: Math.floor(next() * 5) }, () => value(depth + 1));
    if (kind < 0.8) return string();
    if (kind < 0.9) return pick(NUMBERS);
    return pick([true, false, null]);
  };
  return () => value(0);
}

/** PyYAML (YAML 1.1: what a Python script reads the file with), when installed. */
const pyyaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;

describe('toYaml', () => {
  it('writes a readable block document', () => {
    expect(toYaml({ parameters: { server: { parameters: { ip: '10.0.0.1' } } } })).toBe(
      ['parameters:', '  server:', '    parameters:', '      ip: "10.0.0.1"', ''].join('\n'),
    );
    expect(toYaml({ hosts: [{ name: 'a', ips: ['10.0.0.1'] }, [1, true], [], {}], none: null, key: 'value_1.x/y-z' })).toBe(
      [
        'hosts:',
        '  - name: a',
        '    ips:',
        '      - "10.0.0.1"',
        '  - - 1',
        '    - true',
        '  - []',
        '  - {}',
        'none: null',
        'key: value_1.x/y-z',
        '',
      ].join('\n'),
    );
  });

  it('round-trips a VNFRecordDependency', () => {
    roundTrips(DEPENDENCY);
    expect(toYaml(DEPENDENCY)).toContain(
      '\n      f907f29f-5e19-4e5a-9b57-46b9695906c8:\n        parameters:\n          private: "192.168.1.7"\n',
    );
  });

  it.each(TRICKY.map((value) => [JSON.stringify(value).slice(0, 40), value]))('round-trips %s as a value and as a key', (_, value) => {
    roundTrips(value);
    roundTrips({ [value]: value, list: [value, { [value]: [value] }] });
  });

  it('quotes what YAML 1.1 or 1.2 reads as another type, and writes identifiers plain', () => {
    for (const value of ['yes', 'off', 'y', 'null', '~', '0x1f', '1e3', '0o7', '.inf', '1_000', '12:30', '2001-12-14', ''])
      expect(toYaml(value)).toBe(`${JSON.stringify(value)}\n`);
    for (const value of ['iperf-server', 'private_floatingIp', 'ci-1', 'a.b/c', '_x', 'yesno', 'nullable'])
      expect(toYaml(value)).toBe(`${value}\n`);
    expect(toYaml('\u2028\u0085\ud800')).toBe('"\\u2028\\u0085\\ud800"\n');
  });

  it('round-trips nested and empty containers, numbers, unicode, multi-line strings and long keys', () => {
    for (const value of [
      {},
      [],
      [[[]]],
      [{}, [{}], { a: [] }],
      [[{ a: [[1, 2], { b: null }] }]],
      { a: { b: { c: { d: [{ e: [{}] }] } } } },
      { script: '#!/bin/bash\necho "hi"\n\n  indented\ttab\n', 'Grüße 😀': '日本語' },
      { n: [0, -1, 1.5, 1e21, -1e-7, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2], b: [true, false], z: null },
      { ['k'.repeat(1500)]: { v: 1 }, list: [{ ['é'.repeat(1500)]: [1], after: 2 }] },
      'plain',
      42,
      null,
    ])
      roundTrips(value);
    expect(toYaml(-0)).toBe('0\n');
  });

  it('round-trips random JSON values with nasty strings (YAML 1.1 and 1.2)', () => {
    const next = generator(0x5eed);
    for (let i = 0; i < 3000; i += 1) roundTrips(JSON.parse(JSON.stringify(next())));
  });

  it.skipIf(!pyyaml)('round-trips the same values through PyYAML safe_load', () => {
    const next = generator(0xb0a7);
    const values = [DEPENDENCY, ...TRICKY, { keys: Object.fromEntries(TRICKY.map((value) => [value, value])) }];
    for (let i = 0; i < 2000; i += 1) values.push(JSON.parse(JSON.stringify(next())));
    const script = 'import json, sys, yaml\nprint(json.dumps([yaml.safe_load(text) for text in json.load(sys.stdin)]))';
    const python = spawnSync('python3', ['-c', script], {
      input: JSON.stringify(values.map(toYaml)),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(python.stderr).toBe('');
    const parsed = JSON.parse(python.stdout) as unknown[];
    values.forEach((value, index) => expect(parsed[index], toYaml(value)).toEqual(value));
  });

  it('refuses what is not JSON data', () => {
    for (const value of [undefined, Number.NaN, Infinity, 1n, () => 1, { a: undefined }]) expect(() => toYaml(value)).toThrow(TypeError);
  });
});
