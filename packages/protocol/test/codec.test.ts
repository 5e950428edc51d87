import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  decodeEmsCommand,
  decodeEmsHello,
  decodeEmsReply,
  decodeManagerCredentials,
  decodeManagerMessage,
  decodeNfvoCommand,
  decodeVnfmMessage,
  encodeMessage,
  recordOf,
  dependencyOf,
  vnfmErrorMessage,
  VnfmOrErrorMessage,
} from '../src/index.js';
import { bytes, canonical, messages } from './helpers.js';

const roundTrip = (decoded: unknown): unknown => JSON.parse(new TextDecoder().decode(encodeMessage(decoded).body));

function expectProtocolError(fn: () => unknown, ...fragments: string[]): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    for (const f of fragments) expect((error as Error).message).toContain(f);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe.each(Object.entries(messages.nfvo))('NFVO → VNFM %s', (_name, message) => {
  it('decodes, keeps unknown fields and re-encodes to equal JSON', () => {
    const decoded = decodeNfvoCommand(bytes({ ...message, 'x-extra': [1, { a: 2 }] }));
    expect(decoded.action).toBe(message['action']);
    expect((decoded as Record<string, unknown>)['x-extra']).toEqual([1, { a: 2 }]);
    expect(canonical(roundTrip(decoded))).toEqual(canonical({ ...message, 'x-extra': [1, { a: 2 }] }));
  });
  it('refuses a missing action', () => {
    const { action: _a, ...rest } = message;
    expectProtocolError(() => decodeNfvoCommand(bytes(rest)), 'missing "action"');
  });
  it('refuses a wrong type naming the path', () => {
    const broken = { ...message, vnfr: 'oops', virtualNetworkFunctionRecord: 'oops', vnfd: 'oops', vnfrName: 7 };
    const error = expectProtocolError(() => decodeNfvoCommand(bytes(broken)), String(message['action']), 'expected');
    expect(error.issues.length).toBeGreaterThan(0);
  });
});

describe.each(Object.entries(messages.vnfm))('VNFM → NFVO %s', (_name, message) => {
  it('decodes and re-encodes to equal JSON', () => {
    const decoded = decodeVnfmMessage(JSON.stringify(message));
    expect(canonical(roundTrip(decoded))).toEqual(canonical(message));
  });
  it('refuses a bad enum value naming the path', () => {
    const vnfr = recordOf(message);
    if (!vnfr) return expectProtocolError(() => decodeVnfmMessage(bytes({ ...message, outputLog: 'x' })), 'outputLog');
    expectProtocolError(
      () => decodeVnfmMessage(bytes({ ...message, virtualNetworkFunctionRecord: { ...vnfr, status: 'RUNNING' } })),
      'virtualNetworkFunctionRecord.status',
    );
  });
});

describe('required fields and traps', () => {
  it('ALLOCATE_RESOURCES without keyPairs is refused (the NFVO would never answer)', () => {
    const { keyPairs: _k, ...rest } = messages.vnfm['allocate-request'] as Record<string, unknown>;
    expectProtocolError(() => decodeVnfmMessage(bytes(rest)), 'ALLOCATE_RESOURCES', 'keyPairs');
  });
  it('SCALED without vnfcInstance is refused', () => {
    const { vnfcInstance: _v, ...rest } = messages.vnfm['scaled-reply'] as Record<string, unknown>;
    expectProtocolError(() => decodeVnfmMessage(bytes(rest)), 'SCALED', 'vnfcInstance');
  });
  it('a VIM instance without type is refused (the NFVO deserializer throws on it)', () => {
    const grant = structuredClone(messages.nfvo['grant-answer']) as { vduVim: Record<string, Record<string, unknown>> };
    delete grant.vduVim['vdu-1']?.['type'];
    expectProtocolError(() => decodeNfvoCommand(bytes(grant)), 'vduVim.vdu-1.type');
  });
  it('reads the record and the dependency whatever the field is called', () => {
    for (const m of Object.values(messages.nfvo)) {
      const decoded = decodeNfvoCommand(bytes(m));
      if (decoded.action !== 'LOG_REQUEST' && decoded.action !== 'INSTANTIATE') expect(recordOf(decoded)?.name).toBe('iperf-server');
    }
    expect(dependencyOf(decodeNfvoCommand(bytes(messages.nfvo['modify'])))?.target).toBe('iperf-client');
    expect(dependencyOf(decodeNfvoCommand(bytes(messages.nfvo['scale-out'])))?.target).toBe('iperf-client');
  });
  it('refuses an unknown action naming it and a body that is not JSON', () => {
    expectProtocolError(() => decodeNfvoCommand('{"action":"FLY"}'), 'unknown action "FLY"');
    expectProtocolError(() => decodeNfvoCommand('{oops'), 'not JSON');
    expectProtocolError(() => decodeNfvoCommand('[1]'), 'expected a JSON object');
    expectProtocolError(() => decodeNfvoCommand('null'), 'received null');
  });
  it('builds an ERROR with exception.detailMessage, the VNFR and nsrId', () => {
    const vnfr = recordOf(messages.nfvo['modify'] as object);
    const error = vnfmErrorMessage({ vnfr, message: 'Script install.sh failed on iperf-server-1 with exit status 1' });
    expect(VnfmOrErrorMessage.parse(error)).toEqual(error);
    expect(error.nsrId).toBe('nsr-1');
    expect(error.exception?.detailMessage).toContain('install.sh');
    expect(decodeVnfmMessage(encodeMessage(error).body).action).toBe('ERROR');
  });
  it('encodes null replies and sets text/plain', () => {
    const encoded = encodeMessage(null);
    expect(new TextDecoder().decode(encoded.body)).toBe('null');
    expect(encoded.properties).toEqual({ contentType: 'text/plain', contentEncoding: 'UTF-8' });
  });
});

describe('register / unregister / credentials', () => {
  it('decodes register and unregister, case-insensitively, with deregister as a synonym', () => {
    expect(decodeManagerMessage(bytes(messages.manager['register'])).action).toBe('register');
    expect(decodeManagerMessage(bytes({ ...messages.manager['register'], action: 'REGISTER' })).action).toBe('register');
    expect(decodeManagerMessage(bytes({ ...messages.manager['unregister'], action: 'deregister' })).action).toBe('unregister');
  });
  it('refuses an unregister without password and a register whose endpoint is a string', () => {
    const { password: _p, ...rest } = messages.manager['unregister'] as Record<string, unknown>;
    expectProtocolError(() => decodeManagerMessage(bytes(rest)), 'password');
    expectProtocolError(
      () => decodeManagerMessage(bytes({ ...messages.manager['register'], vnfmManagerEndpoint: '{}' })),
      'vnfmManagerEndpoint',
    );
  });
  it('decodes credentials and refuses them without a password', () => {
    expect(decodeManagerCredentials(bytes(messages.credentials)).rabbitUsername).toBe('mytype');
    expectProtocolError(() => decodeManagerCredentials(bytes({ rabbitUsername: 'x' })), 'rabbitPassword');
  });
});

describe.each(Object.entries(messages.ems))('VNFM → EMS %s', (_name, command) => {
  it('decodes and re-encodes to equal JSON, keeping the hyphenated script-path', () => {
    const decoded = decodeEmsCommand(bytes(command));
    expect(canonical(roundTrip(decoded))).toEqual(canonical(command));
  });
  it('refuses a missing payload', () => {
    const { payload: _p, ...rest } = command;
    expectProtocolError(() => decodeEmsCommand(bytes(rest)), String(command['action']), 'payload');
  });
});

describe('EMS hello and reply', () => {
  it('accepts status as a number or a numeric string', () => {
    expect(decodeEmsReply('{"output": "[\'install.sh\']", "err": "", "status": 0}').status).toBe(0);
    expect(decodeEmsReply('{"output": "", "err": "bad base64", "status": "1"}').status).toBe(1);
  });
  it('refuses a non-numeric status and the upstream EMS "None" reply', () => {
    expectProtocolError(() => decodeEmsReply('{"output":"","err":"","status":"x"}'), 'status');
    expectProtocolError(() => decodeEmsReply('None'), 'not JSON');
  });
  it('decodes a hello and refuses one without hostname', () => {
    expect(decodeEmsHello('{"hostname":"iperf-server-4821733"}').hostname).toBe('iperf-server-4821733');
    expectProtocolError(() => decodeEmsHello('{}'), 'hostname');
  });
  it('refuses an unknown EMS action', () => {
    expectProtocolError(() => decodeEmsCommand('{"action":"REPO_SCRIPTS_UPDATE","payload":"x"}'), 'unknown action "REPO_SCRIPTS_UPDATE"');
  });
});
