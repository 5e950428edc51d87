import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from './helpers/agent-process.js';
import { tempDir } from './helpers/temp.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

describe('vnfkit-ems CLI', () => {
  it('--help and --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--check-config/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^vnfkit-ems \d+\.\d+\.\d+\n$/);
  });

  it('--check-config prints an Open Baton properties file as effective config with secrets masked', async () => {
    const file = join(FIXTURES, 'openbaton-ems.properties');
    const result = await runCli(['--check-config', '--config', file], {
      VNFKIT_EMS_SIGNING_KEY: 'a-very-secret-signing-key',
      VNFKIT_EMS_LOG_LEVEL: 'debug',
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { files: string[]; environment: string[]; config: Record<string, unknown> };
    expect(report.files).toEqual([file]);
    expect(report.environment.sort()).toEqual(['VNFKIT_EMS_LOG_LEVEL', 'VNFKIT_EMS_SIGNING_KEY']);
    expect(report.config).toMatchObject({
      hostname: 'iperf-server-4821733',
      broker_ip: '192.168.161.10',
      heartbeat: 120,
      password: '***',
      signing_key: '***',
      log_level: 'debug',
    });
    expect(result.stdout).not.toContain('s3cret-pw');
    expect(result.stdout).not.toContain('a-very-secret-signing-key');
  });

  it('--check-config exits non-zero and names each bad key', async () => {
    const dir = await tempDir();
    const file = await writeConfig(dir, { hostname: 'x-1', broker_port: 'abc', heartbeat: -3 });
    const result = await runCli(['--check-config', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broker_port: /);
    expect(result.stderr).toMatch(/heartbeat: /);
  });

  it('refuses unknown options', async () => {
    const result = await runCli(['--bogus']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
