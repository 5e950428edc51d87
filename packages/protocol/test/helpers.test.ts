import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_MAX_PAYLOAD_BYTES,
  ProtocolError,
  TimeoutError,
  VnfkitError,
  bundleFiles,
  bytesToPayload,
  emsActionsQueue,
  emsRegisterQueue,
  fromBase64,
  payloadToBytes,
  deriveAgentKey,
  deriveVnfrKey,
  sanitizeEnvName,
  signCommand,
  signedReplyTo,
  signReply,
  toBase64,
  toError,
  verifyCommandSignature,
  verifyReplySignature,
} from '../src/index.js';

describe('Script.payload signed bytes', () => {
  it('maps Gson byte[] to bytes and back', () => {
    expect([...payloadToBytes([35, 33, -1, -128, 127])]).toEqual([35, 33, 255, 128, 127]);
    expect(bytesToPayload(new Uint8Array([35, 255, 128]))).toEqual([35, -1, -128]);
  });
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect([...payloadToBytes(bytesToPayload(b))]).toEqual([...b]);
      }),
    );
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
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect([...fromBase64(toBase64(b))]).toEqual([...b]);
      }),
    );
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
  const at = { routingKey: 'vnfm.web-1.actions', replyTo: 'vnfkit.reply.vnfm.q1' };
  it('verifies its own v3 signature and refuses tampering with the body, the id, the time, the target queue or reply_to', () => {
    const body = '{"action":"EXECUTE","payload":"x.sh"}';
    const sig = signCommand('k3y', { body, correlationId: 'c-1', signedAt: 1_700_000_000_000, ...at });
    expect(sig).toMatch(/^v3:1700000000000:[0-9a-f]{64}$/);
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig, ...at })).toEqual({
      ok: true,
      signedAt: 1_700_000_000_000,
    });
    expect(verifyCommandSignature('k3y', { body: new TextEncoder().encode(body), correlationId: 'c-1', signature: sig, ...at }).ok).toBe(
      true,
    );
    const invalid = { ok: false, reason: expect.stringMatching(/^invalid signature/) };
    expect(verifyCommandSignature('k3y', { body: body.replace('x.sh', 'y.sh'), correlationId: 'c-1', signature: sig, ...at })).toEqual(
      invalid,
    );
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-2', signature: sig, ...at })).toEqual(invalid);
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig, ...at, routingKey: 'vnfm.web-2.actions' })).toEqual(
      invalid,
    );
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig, ...at, replyTo: 'attacker-queue' })).toEqual(
      invalid,
    );
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig, ...at, replyTo: undefined })).toEqual(invalid);
    expect(
      verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: sig.replace(':1700000000000:', ':1700000000001:'), ...at }).ok,
    ).toBe(false);
    expect(verifyCommandSignature('other', { body, correlationId: 'c-1', signature: sig, ...at }).ok).toBe(false);
    expect(verifyCommandSignature('k3y', { body, correlationId: undefined, signature: sig, ...at })).toEqual({
      ok: false,
      reason: 'a signed command needs its correlation id',
    });
    for (const bad of [undefined, 'zz', sig.slice(3), `v1:${sig.slice(3)}`, `v2:${sig.slice(3)}`])
      expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: bad, ...at }).ok).toBe(false);
    expect(verifyCommandSignature('k3y', { body, correlationId: 'c-1', signature: `v2:${sig.slice(3)}`, ...at })).toEqual({
      ok: false,
      reason: expect.stringMatching(/v2 signatures are refused/),
    });
  });

  it('counts every direct reply-to address as amq.rabbitmq.reply-to (the broker rewrites it)', () => {
    const body = 'b';
    const sig = signCommand('k3y', { body, correlationId: 'c-1', routingKey: 'q', replyTo: 'amq.rabbitmq.reply-to' });
    expect(
      verifyCommandSignature('k3y', {
        body,
        correlationId: 'c-1',
        routingKey: 'q',
        replyTo: 'amq.rabbitmq.reply-to.g1h2AA==.xyz',
        signature: sig,
      }).ok,
    ).toBe(true);
    expect(signedReplyTo('amq.rabbitmq.reply-to.abc')).toBe('amq.rabbitmq.reply-to');
    expect(signedReplyTo('amq.rabbitmq.reply-tox')).toBe('amq.rabbitmq.reply-tox');
  });

  it('derives per-VNFR and per-VM keys: hex HMAC-SHA256, different per VNFR and per host', () => {
    const vnfrKey = deriveVnfrKey('master-key-0123456789', 'vnfr-1');
    expect(vnfrKey).toBe(createHmac('sha256', 'master-key-0123456789').update('vnfr:vnfr-1').digest('hex'));
    expect(deriveVnfrKey('master-key-0123456789', 'vnfr-2')).not.toBe(vnfrKey);
    expect(deriveAgentKey(vnfrKey, 'web-1')).toBe(createHmac('sha256', vnfrKey).update('web-1').digest('hex'));
    expect(deriveAgentKey(vnfrKey, 'web-2')).not.toBe(deriveAgentKey(vnfrKey, 'web-1'));
  });

  it('signs replies over hostname, correlation id and body', () => {
    const sig = signReply('k3y', { body: '{"status":0}', correlationId: 'c-1', hostname: 'web-1' });
    expect(sig).toMatch(/^v3:[0-9a-f]{64}$/);
    expect(verifyReplySignature('k3y', { body: '{"status":0}', correlationId: 'c-1', hostname: 'web-1', signature: sig })).toEqual({
      ok: true,
    });
    for (const change of [{ body: '{"status":1}' }, { correlationId: 'c-2' }, { hostname: 'web-2' }]) {
      expect(
        verifyReplySignature('k3y', { body: '{"status":0}', correlationId: 'c-1', hostname: 'web-1', signature: sig, ...change }).ok,
      ).toBe(false);
    }
    expect(verifyReplySignature('k3y', { body: '{"status":0}', correlationId: 'c-1', hostname: 'web-1', signature: undefined })).toEqual({
      ok: false,
      reason: 'the reply is not signed',
    });
    // A command signature is no reply signature (domain separation).
    const commandSig = signCommand('k3y', {
      body: '{"status":0}',
      correlationId: 'c-1',
      routingKey: 'web-1',
      replyTo: undefined,
      signedAt: 1,
    });
    expect(
      verifyReplySignature('k3y', {
        body: '{"status":0}',
        correlationId: 'c-1',
        hostname: 'web-1',
        signature: `v3:${commandSig.split(':')[2]}`,
      }).ok,
    ).toBe(false);
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

describe('bundleFiles', () => {
  const file = (name: string, bytes: number) => ({ name, content: new Uint8Array(bytes) });
  it('keeps files in order in bundles of at most maxBytes of base64; a bigger file goes alone', () => {
    const files = [file('a', 3), file('b', 3), file('c', 6), file('d', 30), file('e', 3)];
    // base64 sizes: 4, 4, 8, 40, 4
    expect(bundleFiles(files, 12).map((b) => b.map((f) => f.name))).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(bundleFiles(files).map((b) => b.length)).toEqual([5]);
    expect(bundleFiles([])).toEqual([]);
  });

  it('counts a string content as its UTF-8 bytes, by default up to 4 MiB per bundle', () => {
    const big = 'é'.repeat(1024 * 1024); // 2 MiB of UTF-8, 2.67 MiB of base64
    expect(bundleFiles([{ content: big }, { content: big }]).length).toBe(2);
    expect(BUNDLE_MAX_PAYLOAD_BYTES).toBe(4 * 1024 * 1024);
  });
});
