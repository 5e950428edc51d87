import { decodeEmsCommand, encodeMessage } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { decodeCommand, decodeCommandFast, encodeBody } from '../../src/internal/wire.js';

const bodies: unknown[] = [
  { action: 'EXECUTE', payload: 'install.sh a b', env: { A: '1', '1net': 'x' } },
  { action: 'EXECUTE', payload: 'install.sh', 'script-path': '/opt/openbaton/scripts' },
  { action: 'EXECUTE', payload: 'x.sh', env: { A: 1 } },
  { action: 'EXECUTE', payload: 'x.sh', env: null },
  { action: 'EXECUTE', payload: 'x.sh', env: ['a'] },
  { action: 'EXECUTE', payload: 3 },
  { action: 'EXECUTE' },
  { action: 'SAVE_SCRIPTS', payload: 'OgoK', name: 'a.sh', extra: { kept: true } },
  { action: 'SAVE_SCRIPTS', payload: 'OgoK' },
  { action: 'SCRIPTS_UPDATE', payload: 'OgoK', name: 'a.sh', 'script-path': null },
  { action: 'CLONE_SCRIPTS', payload: 'https://example.org/r.git' },
  { action: 'SAVE_VNFR_DEPENDENCY', payload: '{}' },
  { action: 'REBOOT', payload: '' },
  { action: 7 },
  { payload: 'x' },
  null,
  [1, 2],
  'text',
];

describe('the agent wire codec', () => {
  it('accepts only what the protocol schema accepts, with the same value, and defers the rest', async () => {
    for (const value of bodies) {
      const body = Buffer.from(JSON.stringify(value));
      let expected: unknown;
      let error: string | undefined;
      try {
        expected = decodeEmsCommand(body);
      } catch (thrown) {
        error = (thrown as Error).message;
      }
      const fast = decodeCommandFast(body);
      if (fast !== undefined) expect(fast, JSON.stringify(value)).toEqual(expected);
      if (error !== undefined) {
        expect(fast, JSON.stringify(value)).toBeUndefined();
        await expect(decodeCommand(body)).rejects.toThrow(error);
      } else {
        expect(await decodeCommand(body)).toEqual(expected);
      }
    }
  });

  it('defers bodies that are not JSON, start with a byte-order mark or carry __proto__', async () => {
    for (const text of [
      'not json',
      '\uFEFF{"action":"EXECUTE","payload":"x.sh"}',
      '{"action":"EXECUTE","payload":"x.sh","env":{"__proto__":{"A":"1"}}}',
    ]) {
      expect(decodeCommandFast(Buffer.from(text))).toBeUndefined();
      let expected: unknown;
      try {
        expected = decodeEmsCommand(Buffer.from(text));
      } catch (thrown) {
        expected = (thrown as Error).message;
      }
      const actual = await decodeCommand(Buffer.from(text)).catch((thrown: unknown) => (thrown as Error).message);
      expect(actual).toEqual(expected);
    }
  });

  it('encodes replies byte for byte like the protocol', () => {
    for (const value of [{ output: 'é\n', err: '\ud800', status: 0 }, { hostname: 'h-1' }, null]) {
      const ours = encodeBody(value);
      const theirs = encodeMessage(value);
      expect(Buffer.from(ours.body).equals(Buffer.from(theirs.body))).toBe(true);
      expect(ours.properties).toEqual(theirs.properties);
    }
  });
});
