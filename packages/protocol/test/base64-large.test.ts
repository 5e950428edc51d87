import { describe, expect, it } from 'vitest';
import { fromBase64, ProtocolError, toBase64 } from '../src/index.js';

describe('fromBase64 on large payloads', () => {
  it('decodes 10 MiB (a repeated-group regex overflowed the stack above ~4 MB) and still refuses bad input', () => {
    const bytes = new Uint8Array(10 * 1024 * 1024 + 1).map((_, i) => (i * 7) & 0xff);
    const decoded = fromBase64(toBase64(bytes));
    expect(decoded.length).toBe(bytes.length);
    expect(Buffer.from(decoded).equals(Buffer.from(bytes))).toBe(true);
    for (const bad of ['ab=c', 'A===', '====', 'abc', 'ab!d']) expect(() => fromBase64(bad), bad).toThrow(ProtocolError);
    expect([...fromBase64('QQ==')]).toEqual([65]);
  });
});
