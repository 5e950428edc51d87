import { describe, expect, it } from 'vitest';
import { parseIni } from '../../src/internal/ini.js';

describe('parseIni', () => {
  it('reads sections, both separators, comments, case-folded keys and continuation lines', () => {
    const { sections, problems } = parseIni(
      '\uFEFF# top\n[ems]\nBroker_IP = 1.2.3.4\ntype: generic\n; comment\nmulti = a\n  b\n[other]\nx=1\n',
    );
    expect(problems).toEqual([]);
    expect(sections.ems).toEqual({ broker_ip: '1.2.3.4', type: 'generic', multi: 'a\nb' });
    expect(sections.other).toEqual({ x: '1' });
  });

  it('keeps "=" inside values and reports lines without a key', () => {
    const { sections, problems } = parseIni('[ems]\namqp_url=amqp://u:p@h/?x=1\n=novalue\n');
    expect(sections.ems?.amqp_url).toBe('amqp://u:p@h/?x=1');
    expect(problems).toEqual([{ line: 3, message: 'expected "key = value", got "=novalue"' }]);
  });
});
