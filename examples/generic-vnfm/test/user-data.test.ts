import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentTemplatePath,
  fillUserData,
  HOSTNAME_PLACEHOLDER,
  loadUserDataTemplate,
  shellQuote,
  virtualHostOf,
} from '../src/user-data.js';

const values = {
  brokerIp: '10.0.0.5',
  brokerPort: 5673,
  username: 'ems',
  password: 'p@ss w\'rd$1 `x` "q"',
  type: 'generic',
  timezone: 'Europe/Berlin',
};

/** Runs the template's export lines in bash and reads back the variables. */
function exportedBy(script: string, names: string[]): Record<string, string> {
  const exports = script.split('\n').filter((line) => line.startsWith('export ') && !line.includes('#Hostname'));
  const program = `${exports.join('\n')}\nfor n in ${names.join(' ')}; do printf '%s\\0' "\${!n}"; done`;
  const out = execFileSync('/bin/bash', ['-c', program], { encoding: 'utf8' }).split('\0');
  return Object.fromEntries(names.map((name, i) => [name, out[i] ?? '']));
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('fillUserData with the agent template', () => {
  it('fills every placeholder of the shipped template, keeps the #Hostname line, and the shell reads the exact values', async () => {
    const template = await loadUserDataTemplate();
    const filled = fillUserData(template, values);
    expect(filled.split('\n').filter((line) => !line.startsWith('#'))).not.toContainEqual(expect.stringMatching(/\{\{/));
    expect(filled.split('\n')).toContain(HOSTNAME_PLACEHOLDER);
    execFileSync('/bin/bash', ['-n', '-c', filled]);
    expect(exportedBy(filled, ['BROKER_IP', 'BROKER_PORT', 'USERNAME', 'PASSWORD', 'TYPE', 'EXCHANGE', 'HEARTBEAT', 'AUTODELETE'])).toEqual(
      {
        BROKER_IP: '10.0.0.5',
        BROKER_PORT: '5673',
        USERNAME: 'ems',
        PASSWORD: values.password,
        TYPE: 'generic',
        EXCHANGE: 'openbaton-exchange',
        HEARTBEAT: '120',
        AUTODELETE: 'true',
      },
    );
  });

  it('refuses unknown placeholders and NUL bytes', () => {
    expect(() => fillUserData('x={{NOPE}}', values)).toThrow(ConfigError);
    expect(() => fillUserData('x={{PASSWORD}}', { ...values, password: 'a\0b' })).toThrow(ConfigError);
    expect(() => fillUserData('x={{MONITORING_IP}}', values)).toThrow(/no value/);
  });
});

describe('the two agent templates (ems.userData)', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  const extra = { amqpUrl: 'amqps://ems:pw@broker:5671/nfv', tlsCaPem: pem, signingKey: 'k'.repeat(43), virtualHost: 'nfv' };

  it('loads install (npm at first boot) or preinstalled (config and restart only)', async () => {
    expect(agentTemplatePath()).toMatch(/systemd\/user-data\.sh\.tmpl$/);
    expect(agentTemplatePath('preinstalled')).toMatch(/systemd\/user-data-preinstalled\.sh\.tmpl$/);
    const install = await loadUserDataTemplate(undefined, 'install');
    const preinstalled = await loadUserDataTemplate(undefined, 'preinstalled');
    expect(install).toMatch(/^npm install -g "\$EMS_PACKAGE"$/m);
    expect(install).toMatch(/^bash "\$\(npm root -g\)\/@vnfkit\/ems-agent\/systemd\/install\.sh" --force-config$/m);
    expect(preinstalled).not.toMatch(/npm install|curl/);
    expect(preinstalled).toMatch(/^systemctl restart vnfkit-ems\.service$/m);
    // A custom file wins over the choice.
    const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ud-'));
    dirs.push(dir);
    await writeFile(join(dir, 'own.sh'), `${HOSTNAME_PLACEHOLDER}\necho own\n`);
    expect(await loadUserDataTemplate(join(dir, 'own.sh'), 'preinstalled')).toContain('echo own');
  });

  it('fills amqp_url, the CA PEM, the signing key and the vhost into both; bash reads them back', async () => {
    for (const kind of ['install', 'preinstalled'] as const) {
      const filled = fillUserData(await loadUserDataTemplate(undefined, kind), { ...values, ...extra });
      execFileSync('/bin/bash', ['-n', '-c', filled]);
      expect(exportedBy(filled, ['AMQP_URL', 'SIGNING_KEY', 'VIRTUAL_HOST'])).toEqual({
        AMQP_URL: extra.amqpUrl,
        SIGNING_KEY: extra.signingKey,
        VIRTUAL_HOST: 'nfv',
      });
      const header = filled.slice(0, filled.indexOf('set -eu')).replace('#Hostname=', 'Hostname=web-1');
      expect(execFileSync('/bin/bash', ['-c', `${header}\nprintf '%s' "$TLS_CA_PEM"`], { encoding: 'utf8' })).toBe(pem);
    }
  });

  it("takes the agents' virtual host from the VNFM's AMQP URL", () => {
    expect(virtualHostOf('amqp://u:p@h:5672')).toBe('');
    expect(virtualHostOf('amqp://u:p@h:5672/')).toBe('');
    expect(virtualHostOf('amqp://u:p@h:5672/nfv%2Fa')).toBe('nfv/a');
    expect(virtualHostOf('not a url')).toBe('');
  });
});

describe('fillUserData with an Open Baton style template', () => {
  const template = `#!/bin/bash
export BROKER_IP=
export BROKER_PORT=
export USERNAME=
export PASSWORD=
export EXCHANGE_NAME=
export EMS_HEARTBEAT=
export EMS_AUTODELETE=
export ENDPOINT=
export MONITORING_IP=
export TIMEZONE=
export UNKNOWN_THING=
export #Hostname=
export BROKER_IP=already-set
echo done
`;

  it('completes known empty export lines and leaves #Hostname, unknown and already-set lines alone', () => {
    const filled = fillUserData(template, values);
    const lines = filled.split('\n');
    expect(lines).toContain('export BROKER_IP=10.0.0.5');
    expect(lines).toContain('export ENDPOINT=generic');
    expect(lines).toContain('export TIMEZONE=Europe/Berlin');
    expect(lines).toContain('export MONITORING_IP=');
    expect(lines).toContain('export UNKNOWN_THING=');
    expect(lines).toContain(HOSTNAME_PLACEHOLDER);
    expect(lines).toContain('export BROKER_IP=already-set');
    expect(
      exportedBy(filled.replace('export BROKER_IP=already-set\n', ''), ['PASSWORD', 'EMS_HEARTBEAT', 'EMS_AUTODELETE', 'EXCHANGE_NAME']),
    ).toEqual({
      PASSWORD: values.password,
      EMS_HEARTBEAT: '120',
      EMS_AUTODELETE: 'true',
      EXCHANGE_NAME: 'openbaton-exchange',
    });
  });

  it('does not interpret $& or $1 in values', () => {
    expect(fillUserData('export PASSWORD=\n', { ...values, password: '$&$1' })).toBe("export PASSWORD='$&$1'\n");
  });
});

describe('loadUserDataTemplate', () => {
  it('reads a custom file and refuses one without the hostname line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ud-'));
    dirs.push(dir);
    await writeFile(join(dir, 'good.sh'), `export BROKER_IP=\n${HOSTNAME_PLACEHOLDER}\n`);
    await writeFile(join(dir, 'bad.sh'), 'export BROKER_IP=\n');
    expect(await loadUserDataTemplate(join(dir, 'good.sh'))).toContain('BROKER_IP');
    await expect(loadUserDataTemplate(join(dir, 'bad.sh'))).rejects.toThrow(ConfigError);
    await expect(loadUserDataTemplate(join(dir, 'missing.sh'))).rejects.toThrow(ConfigError);
  });
});

describe('shellQuote', () => {
  it('quotes only when needed', () => {
    expect(shellQuote('10.0.0.1')).toBe('10.0.0.1');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
