import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile, stat, readlink, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fillUserDataTemplate, renderUserData, USER_DATA_TEMPLATE_PATH } from '../src/user-data.js';
import { tempDir } from './helpers/temp.js';

const run = promisify(execFile);
const PACKAGE_DIR = new URL('..', import.meta.url).pathname;

describe('renderUserData', () => {
  it('fills every placeholder with a quoted value and keeps the NFVO hostname line', async () => {
    const text = await renderUserData({
      BROKER_IP: '10.0.0.5',
      BROKER_PORT: 5672,
      USERNAME: 'admin',
      PASSWORD: "pa'ss $(x)",
      TYPE: 'generic',
      HEARTBEAT: 120,
    });
    expect(USER_DATA_TEMPLATE_PATH.endsWith('systemd/user-data.sh.tmpl')).toBe(true);
    expect(text).not.toMatch(/\{\{/);
    expect(text).toContain("export BROKER_IP='10.0.0.5'\n");
    expect(text).toContain("export PASSWORD='pa'\\''ss $(x)'\n");
    expect(text).toContain("export EXCHANGE='openbaton-exchange'\n");
    expect(text).toContain("export HEARTBEAT='120'\n");
    expect(text).toContain('\nexport #Hostname=\n');
    await run('bash', ['-n', '-c', text]);
    // What the NFVO does, then what bash sees.
    // The NFVO replaces every "#Hostname=" (Java String.replace).
    const filled = text.replaceAll('#Hostname=', 'Hostname=iperf-server-4821733');
    expect(text.match(/#Hostname=/g)).toHaveLength(1);
    const header = filled.slice(0, filled.indexOf('set -eu'));
    const { stdout } = await run('bash', ['-c', `${header}\nprintf '%s|' "$PASSWORD" "$Hostname" "$TYPE"`]);
    expect(stdout).toBe("pa'ss $(x)|iperf-server-4821733|generic|");
  });

  it('rejects missing required values, unknown names and NUL bytes', () => {
    expect(() => fillUserDataTemplate('{{BROKER_IP}}', { BROKER_IP: '', USERNAME: 'u', PASSWORD: 'p', TYPE: 't' })).toThrow(
      /BROKER_IP is required/,
    );
    expect(() => fillUserDataTemplate('x', { BROKER_IP: 'h', USERNAME: 'u', PASSWORD: 'p', TYPE: 't', NOPE: 1 } as never)).toThrow(
      /unknown placeholder NOPE/,
    );
    expect(() => fillUserDataTemplate('{{PASSWORD}}', { BROKER_IP: 'h', USERNAME: 'u', PASSWORD: 'a\0b', TYPE: 't' })).toThrow(/NUL/);
    expect(() => fillUserDataTemplate('{{MISSING}}', { BROKER_IP: 'h', USERNAME: 'u', PASSWORD: 'p', TYPE: 't' })).toThrow(
      /no value for \{\{MISSING\}\}/,
    );
  });
});

describe('systemd/install.sh', () => {
  it('installs into a root directory: files, symlink, config from the user-data variables, unit', async () => {
    const root = await tempDir('vnfkit-install-');
    const src = join(root, 'src');
    await mkdir(join(src, 'dist', 'lazy'), { recursive: true });
    await writeFile(join(src, 'dist', 'cli.js'), '#!/usr/bin/env node\n');
    await writeFile(join(src, 'package.json'), '{}');
    await cp(join(PACKAGE_DIR, 'systemd'), join(src, 'systemd'), { recursive: true });
    const target = join(root, 'target');
    const { stdout } = await run('bash', [join(src, 'systemd', 'install.sh'), '--no-enable', '--no-check'], {
      env: {
        ...process.env,
        EMS_INSTALL_ROOT: target,
        EMS_INSTALL_SRC: src,
        BROKER_IP: '10.1.1.1',
        USERNAME: 'u',
        PASSWORD: 'p',
        TYPE: 'generic',
        Hostname: 'vnfc-42',
      },
    });
    expect(stdout).toContain('vnfkit-ems installed');
    const config = await readFile(join(target, 'etc/vnfkit/ems.conf'), 'utf8');
    expect(config).toContain('[ems]\nbroker_ip=10.1.1.1\n');
    expect(config).toContain('hostname=vnfc-42\n');
    expect((await stat(join(target, 'etc/vnfkit/ems.conf'))).mode & 0o777).toBe(0o600);
    expect(await readlink(join(target, 'usr/local/bin/vnfkit-ems'))).toBe('/opt/vnfkit/ems-agent/dist/cli.js');
    const unit = await readFile(join(target, 'etc/systemd/system/vnfkit-ems.service'), 'utf8');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).toMatch(/^NoNewPrivileges=no$/m);
    expect(unit).not.toMatch(/ProtectSystem=strict/);
  });

  it('is valid bash', async () => {
    await run('bash', ['-n', join(PACKAGE_DIR, 'systemd', 'install.sh')]);
  });
});
