import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ProtocolError, TimeoutError, VnfkitError, bytesToPayload, emsActionsQueue, emsRegisterQueue, fromBase64, payloadToBytes,
  sanitizeEnvName, signCommand, toBase64, toError, verifyCommandSignature,
} from '../src/index.js';

describe('Script.payload signed bytes', () => {
  it('maps Gson byte[] to bytes and back', () => {
    expect([...payloadToBytes([35, 33, -1, -128, 127])]).toEqual([35, 33, 255, 128, 127]);
    expect(bytesToPayload(new Uint8Array([35, 255, 128]))).toEqual([35, -1, -128]);
  });
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array(), (b) => {
      expect([...payloadToBytes(bytesToPayload(b))]).toEqual([...b]);
    }));
  });
});

describe('base64', () => {
  it('encodes strings and bytes, decodes strictly', () => {
    expect(toBase64('#!/bin/bash\n')).toBe('IyEvYmluL2Jhc2gK');
    expect(new TextDecoder().decode(fromBase64('IyEvYmluL2Jhc2gK'))).toBe('#!/bin/bash\n');
    expect(() => fromBase64('not base64!')).toThrow(ProtocolError);
    expect(() => fromBase64('abc')).toThrow(ProtocolError);
  });
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array(), (b) => {
      expect([...fromBase64(toBase64(b))]).toEqual([...b]);
    }));
  });
});

describe('names and env', () => {
  it('builds queue names', () => {
    expect(emsActionsQueue('iperf-server-1')).toBe('vnfm.iperf-server-1.actions');
    expect(emsRegisterQueue('generic')).toBe('ems.generic.register');
  });
  it('sanitises environment names like the Generic VNFM', () => {
    expect(sanitizeEnvName('net-one')).toBe('net_one');
    expect(sanitizeEnvName('sipp-server_private.floating')).toBe('sipp_server_private_floating');
    expect(sanitizeEnvName('ok_1')).toBe('ok_1');
  });
});

describe('signing', () => {
  it('verifies its own signature and refuses tampering with the body, the correlation id or the time', () => {
    const body = '{"action":"EXECUTE","payload":"x.sh"}';
    const sig = signCommand('k3y', { body, correlationId: 'c-1', signedAt: 1_700_000_000_000 });
    expect(sig).toMatch(/^v2:1700000000000:[0-9a-f]{64}$/);
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig })).toEqual({ ok: true, signedAt: 1_700_000_000_000 });
    expect(verifyCommandSignature('k3y', { body: new TextEncoder().encode(body), correlationId: 'c-1', signature: sig }).ok).toBe(true);
    expect(verifyCommandSignature('k3y', { body: body.replace('x.sh', 'y.sh'), correlationId: 'c-1', signature: sig })).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-2', signature: sig })).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig.replace(':1700000000000:', ':1700000000001:') }).ok).toBe(false);
    expect(verifyCommandSignature('other', { body, correlationId: 'c-1', signature: sig }).ok).toBe(false);
    expect(verifyCommandSignature('k3y', { body, correlationId: undefined, signature: sig })).toEqual({ ok: false, reason: 'a signed command needs its correlation id' });
    for (const bad of [undefined, 'zz', sig.slice(3), `v1:${sig.slice(3)}`]) expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: bad }).ok).toBe(false);
  });
});

describe('errors', () => {
  it('carry a code, context and a working is()', () => {
    const e = new TimeoutError('GRANT_OPERATION for VNFR x', 500, { cause: new Error('inner') });
    expect(e.code).toBe('TIMEOUT');
    expect(e.name).toBe('TimeoutError');
    expect(e.message).toBe('timed out after 500 ms waiting for GRANT_OPERATION for VNFR x');
    expect(VnfkitError.is(e)).toBe(true);
    expect(VnfkitError.is(new Error('x'))).toBe(false);
    expect((e.cause as Error).message).toBe('inner');
  });
  it('turns anything thrown into an Error', () => {
    expect(toError('boom').message).toBe('boom');
    expect(toError({ a: 1 }).message).toBe('{"a":1}');
    const err = new Error('same');
    expect(toError(err)).toBe(err);
  });
});
