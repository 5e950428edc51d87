import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerUrl, brokerUrls, loadConfig, maskConfig, readConfigSources, resolveConfig } from '../src/config.js';
import { configProblems } from '../src/errors.js';
import { tempDir } from './helpers/temp.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    return configProblems(error);
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads an Open Baton openbaton-ems.properties file and applies vnfkit defaults', async () => {
    const config = await loadConfig({ file: join(FIXTURES, 'openbaton-ems.properties'), env: {} });
    expect(config).toMatchObject({
      broker_ip: '192.168.161.10',
      broker_port: 5672,
      hostname: 'iperf-server-4821733',
      type: 'generic',
      username: 'admin',
      password: 's3cret-pw',
      autodelete: true,
      exchange: 'openbaton-exchange',
      heartbeat: 120,
      virtual_host: '/',
      scripts_dir: '/opt/openbaton/scripts',
      state_dir: '/var/lib/vnfkit-ems',
      allow_script_path_override: false,
      command_timeout: 1000,
      kill_grace: 5,
      max_output_bytes: 1048576,
      reconnect_max_delay: 30,
      log_level: 'info',
      git_timeout: 300,
    });
    expect(config.signing_key).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the legacy conf.ini: empty values take the default, autodelete=false is honoured', async () => {
    const config = await loadConfig({ file: join(FIXTURES, 'legacy-conf.ini'), env: {} });
    expect(config.heartbeat).toBe(60);
    expect(config.autodelete).toBe(false);
    expect(config.broker_port).toBe(5673);
  });

  it('merges the search path (later files win) and lets the environment win over files', async () => {
    const dir = await tempDir();
    const own = join(dir, 'ems.conf');
    await writeFile(own, '[ems]\nscripts_dir=/srv/scripts\nheartbeat=30\ncommand_timeout=2.5\n');
    const { values, files } = await readConfigSources({
      searchPath: [join(FIXTURES, 'legacy-conf.ini'), join(dir, 'missing.properties'), join(FIXTURES, 'openbaton-ems.properties'), own],
      env: { VNFKIT_EMS_BROKER_IP: 'rabbit.example', VNFKIT_EMS_ALLOW_SCRIPT_PATH_OVERRIDE: 'yes', UNRELATED: 'x' },
    });
    expect(files).toEqual([join(FIXTURES, 'legacy-conf.ini'), join(FIXTURES, 'openbaton-ems.properties'), own]);
    const config = resolveConfig(values);
    expect(config.hostname).toBe('iperf-server-4821733');
    expect(config.heartbeat).toBe(30);
    expect(config.broker_port).toBe(5672);
    expect(config.broker_ip).toBe('rabbit.example');
    expect(config.allow_script_path_override).toBe(true);
    expect(config.scripts_dir).toBe('/srv/scripts');
    expect(config.command_timeout).toBe(2.5);
  });

  it('lets overrides win over everything', async () => {
    const config = await loadConfig({
      file: join(FIXTURES, 'openbaton-ems.properties'),
      env: { VNFKIT_EMS_TYPE: 'env' },
      overrides: { type: 'override', max_output_bytes: 10 },
    });
    expect(config.type).toBe('override');
    expect(config.max_output_bytes).toBe(10);
  });

  it('names every bad key with a clear message', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ems.conf');
    await writeFile(
      file,
      '[ems]\nbroker_port=seventy\nautodelete=maybe\nscripts_dir=relative/dir\nlog_level=loud\nsigning_key=short\ncommand_timeout=-1\n',
    );
    const problems = await problemsOf(loadConfig({ file, env: {} }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^broker_port: /),
        expect.stringMatching(/^autodelete: expected a boolean/),
        expect.stringMatching(/^scripts_dir: must be an absolute path/),
        expect.stringMatching(/^log_level: /),
        expect.stringMatching(/^signing_key: must be at least 16 characters/),
        expect.stringMatching(/^command_timeout: /),
        'hostname: required',
      ]),
    );
  });

  it('rejects unknown keys in its own file and unknown VNFKIT_EMS_ variables, but tolerates them in Open Baton files', async () => {
    const dir = await tempDir();
    const own = join(dir, 'ems.conf');
    await writeFile(own, '[ems]\nhostname=a-1\nscript_dir=/x\n');
    expect(await problemsOf(loadConfig({ file: own, env: {} }))).toEqual([`${own}: unknown key "script_dir" in [ems]`]);
    const envProblems = await problemsOf(loadConfig({ searchPath: [], env: { VNFKIT_EMS_HOSTNAME: 'a-1', VNFKIT_EMS_BROKERIP: 'x' } }));
    expect(envProblems[0]).toMatch(/^unknown environment variable VNFKIT_EMS_BROKERIP/);
    const foreign = join(dir, 'openbaton-ems.properties');
    await writeFile(foreign, '[ems]\nhostname=a-1\nlegacy_flag=1\n');
    const sources = await readConfigSources({ file: foreign, env: {} });
    expect(sources.warnings).toEqual([`${foreign}: unknown key(s) "legacy_flag" in [ems] ignored`]);
  });

  it('reports malformed lines and a missing file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ems.conf');
    await writeFile(file, '[ems]\nhostname=a-1\nthis line is wrong\n');
    expect(await problemsOf(loadConfig({ file, env: {} }))).toEqual([`${file}:3: expected "key = value", got "this line is wrong"`]);
    await expect(loadConfig({ file: join(dir, 'nope.conf'), env: {} })).rejects.toThrow(/does not exist/);
  });

  it('builds the URL list of a RabbitMQ cluster from broker_ip + broker_ips, or takes an amqp_url list; refuses bad entries', () => {
    const config = resolveConfig({
      hostname: 'h-1',
      broker_ip: '10.0.0.1',
      broker_ips: '10.0.0.2, 10.0.0.3:5673,[fd00::4]:5672',
      password: 'pw',
    });
    expect(brokerUrls(config)).toEqual([
      'amqp://admin:pw@10.0.0.1:5672/%2F',
      'amqp://admin:pw@10.0.0.2:5672/%2F',
      'amqp://admin:pw@10.0.0.3:5673/%2F',
      'amqp://admin:pw@[fd00::4]:5672/%2F',
    ]);
    const listed = resolveConfig({ hostname: 'h-1', amqp_url: 'amqp://u:p@a:5701/, amqp://u:p@b:5702/' });
    expect(brokerUrls(listed)).toEqual(['amqp://u:p@a:5701/', 'amqp://u:p@b:5702/']);
    expect(() => resolveConfig({ hostname: 'h-1', broker_ips: 'ok, bad host' })).toThrow(/broker_ips/);
    expect(() => resolveConfig({ hostname: 'h-1', amqp_url: 'amqp://u:p@a/, http://b' })).toThrow(/amqp_url/);
  });

  it('masks secrets and builds the broker URL', async () => {
    const config = resolveConfig({ hostname: 'h-1', password: 'p@ss/word', signing_key: '0123456789abcdef0', virtual_host: '/' });
    expect(maskConfig(config)).toMatchObject({ password: '***', signing_key: '***' });
    expect(brokerUrl(config)).toBe('amqp://admin:p%40ss%2Fword@localhost:5672/%2F');
    const withUrl = resolveConfig({ hostname: 'h-1', amqp_url: 'amqps://u:secret@rabbit:5671/vh' });
    expect(brokerUrl(withUrl)).toBe('amqps://u:secret@rabbit:5671/vh');
    expect(maskConfig(withUrl).amqp_url).toBe('amqps://u:***@rabbit:5671/vh');
  });
});
