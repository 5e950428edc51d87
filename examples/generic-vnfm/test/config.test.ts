import { ConfigError } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { emsCredentials, loadConfig, parseIni } from '../src/config.js';

function run(options: Parameters<typeof loadConfig>[0]) {
  const loaded = loadConfig(options);
  if (loaded.kind !== 'run') throw new Error(`expected run, got ${loaded.kind}`);
  return loaded.config;
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = run({});
    expect(config).toMatchObject({
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      type: 'generic',
      endpoint: 'generic',
      resumeDir: './.vnfkit/generic-vnfm/resume',
      logDir: './.vnfkit/generic-vnfm/logs',
      vnfcConcurrency: 'parallel',
      ems: { startTimeoutS: 500, commandTimeoutS: 1000, heartbeatS: 120, autodelete: true, scriptPath: '/opt/openbaton/scripts' },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ems)).toBe(true);
  });

  it('merges file < environment < flags', () => {
    const files: Record<string, string> = {
      '/etc/vnfm.json': JSON.stringify({ type: 'from-file', endpoint: 'file-ep', logDir: '/file/logs', ems: { startTimeoutS: 5 } }),
    };
    const config = run({
      argv: ['--config', '/etc/vnfm.json', '--endpoint', 'flag-ep', '--vnfc-concurrency', 'serial'],
      env: { VNFM_ENDPOINT: 'env-ep', VNFM_TYPE: 'env-type', VNFKIT_AGENT_COMMAND_TIMEOUT_S: '30', VNFKIT_RESUME_DIR: '/env/resume' },
      readFile: (path) => files[path] ?? '',
    });
    expect(config).toMatchObject({
      type: 'env-type',
      endpoint: 'flag-ep',
      logDir: '/file/logs',
      resumeDir: '/env/resume',
      vnfcConcurrency: 'serial',
      ems: { startTimeoutS: 5, commandTimeoutS: 30 },
    });
  });

  it('reads INI files with sections and snake_case keys', () => {
    const ini = `# comment\namqp_url = amqp://u:p@broker:5672\n[ems]\nstart_timeout_s = 7\nautodelete = false\npassword = "s3cret"\n`;
    const config = run({ argv: ['-c', 'x.ini'], readFile: () => ini });
    expect(config.amqpUrl).toBe('amqp://u:p@broker:5672');
    expect(config.ems).toMatchObject({ startTimeoutS: 7, autodelete: false, password: 's3cret' });
  });

  it('rejects unknown keys, bad values, unknown flags and unknown INI sections with ConfigError', () => {
    expect(() => run({ argv: ['-c', 'x.json'], readFile: () => '{"typo": 1}' })).toThrow(ConfigError);
    expect(() => run({ env: { VNFKIT_VNFC_CONCURRENCY: 'sometimes' } })).toThrow(ConfigError);
    expect(() => run({ env: { VNFKIT_AGENT_START_TIMEOUT_S: '-1' } })).toThrow(ConfigError);
    expect(() => run({ argv: ['--nope'] })).toThrow(ConfigError);
    expect(() => parseIni('[other]\na=1')).toThrow(ConfigError);
    expect(() =>
      run({
        argv: ['-c', 'missing.json'],
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow(ConfigError);
  });

  it("takes the NFVO manager user for registration from the environment (default: Open Baton's)", () => {
    expect(run({})).toMatchObject({ managerUsername: 'openbaton-manager-user', managerPassword: 'openbaton' });
    expect(run({ env: { VNFKIT_MANAGER_USERNAME: 'guest', VNFKIT_MANAGER_PASSWORD: 'guest' } })).toMatchObject({
      managerUsername: 'guest',
      managerPassword: 'guest',
    });
  });

  it('answers --help and --version', () => {
    const help = loadConfig({ argv: ['--help'] });
    expect(help.kind).toBe('help');
    expect(help.kind === 'help' && help.text).toContain('--config');
    expect(loadConfig({ argv: ['-v'] }).kind).toBe('version');
  });
});

describe('ems.userData', () => {
  it('chooses the agent template: install by default, preinstalled from VNFKIT_USER_DATA or the file, nothing else', () => {
    expect(run({}).ems.userData).toBe('install');
    expect(run({ env: { VNFKIT_USER_DATA: 'preinstalled' } }).ems.userData).toBe('preinstalled');
    expect(run({ argv: ['--config', 'c.ini'], readFile: () => '[ems]\nuser_data = preinstalled\n' }).ems.userData).toBe('preinstalled');
    expect(() => run({ env: { VNFKIT_USER_DATA: 'download' } })).toThrow(ConfigError);
  });
});

describe('emsCredentials', () => {
  it('prefers the EMS config, then the AMQP URL', () => {
    expect(emsCredentials(run({ env: { AMQP_URL: 'amqp://a%40b:p%3Aw@h:5672' } }))).toEqual({ username: 'a@b', password: 'p:w' });
    expect(emsCredentials(run({ env: { VNFKIT_AGENT_USERNAME: 'ems', VNFKIT_AGENT_PASSWORD: 'x' } }))).toEqual({
      username: 'ems',
      password: 'x',
    });
  });
});
