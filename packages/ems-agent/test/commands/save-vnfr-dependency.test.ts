import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/index.js';
import { renderParametersShell } from '../../src/commands/save-vnfr-dependency.js';
import { resolveConfig } from '../../src/config.js';
import { processRunner } from '../../src/exec.js';
import { testConfig } from '../helpers/agent-config.js';

const run = promisify(execFile);

const dependency = {
  target: 'iperf-client',
  parameters: { server: { parameters: { private: '', conf: "it's got spaces; $(rm -rf /)" } } },
  vnfcParameters: {
    server: {
      parameters: {
        'f907f29f-5e19-4e5a-9b57-46b9695906c8': { parameters: { private: '192.168.1.7', hostname: 'iperf-server-4821733' } },
        a1b2: { parameters: { private: '192.168.1.8' } },
      },
    },
    'sipp-server': { parameters: { x: { parameters: { 'net-one': '10.0.0.1' } } } },
  },
  idType: { 'iperf-server': 'server' },
};

async function context(): Promise<CommandContext> {
  return { config: resolveConfig(await testConfig()), runner: processRunner, logger: pino({ enabled: false }), baseEnv: {} };
}

describe('SAVE_VNFR_DEPENDENCY', () => {
  it('renders quoted, sanitised OB_ variables with NA for missing VNFC values', () => {
    expect(renderParametersShell(dependency)).toBe(
      [
        '# Written by vnfkit-ems on every SAVE_VNFR_DEPENDENCY (replaced, not appended).',
        '# VNF Parameters',
        "export OB_server_VNF_private=''",
        "export OB_server_VNF_conf='it'\\''s got spaces; $(rm -rf /)'",
        '# VNFC Parameters',
        "export OB_server_VNFC_private='192.168.1.7:192.168.1.8'",
        "export OB_server_VNFC_hostname='iperf-server-4821733:NA'",
        "export OB_sipp_server_VNFC_net_one='10.0.0.1'",
        '',
      ].join('\n'),
    );
  });

  it('writes json, yaml and a sourceable sh, rewritten (not appended) every time', async () => {
    const ctx = await context();
    const payload = JSON.stringify(dependency, null, 2);
    const reply = await runCommand({ action: 'SAVE_VNFR_DEPENDENCY', payload, 'script-path': '/opt/openbaton/scripts' }, ctx);
    expect(reply).toEqual({ output: "['ob_parameters.json', 'ob_parameters.sh', 'ob_parameters.yaml']", err: '', status: 0 });
    const dir = ctx.config.scripts_dir;
    expect(await readFile(join(dir, 'ob_parameters.json'), 'utf8')).toBe(payload);
    expect(parse(await readFile(join(dir, 'ob_parameters.yaml'), 'utf8'))).toEqual(dependency);
    await runCommand({ action: 'SAVE_VNFR_DEPENDENCY', payload, 'script-path': dir }, ctx);
    const shell = await readFile(join(dir, 'ob_parameters.sh'), 'utf8');
    expect(shell.match(/# VNF Parameters/g)).toHaveLength(1);
    // Dependency values may be passwords of other VNFs: root only, in a root-only directory.
    for (const name of ['ob_parameters.sh', 'ob_parameters.json', 'ob_parameters.yaml'])
      expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const { stdout } = await run('/bin/bash', [
      '-c',
      `source ${join(dir, 'ob_parameters.sh')} && printf '%s\\n' "$OB_server_VNF_conf" "$OB_server_VNFC_private"`,
    ]);
    expect(stdout).toBe("it's got spaces; $(rm -rf /)\n192.168.1.7:192.168.1.8\n");
  });

  it('refuses a payload that is not JSON or not a dependency', async () => {
    const ctx = await context();
    const notJson = await runCommand({ action: 'SAVE_VNFR_DEPENDENCY', payload: '{oops' }, ctx);
    expect(notJson.status).toBe(1);
    expect(notJson.err).toMatch(/payload is not JSON/);
    const notDependency = await runCommand({ action: 'SAVE_VNFR_DEPENDENCY', payload: '"a string"' }, ctx);
    expect(notDependency.status).toBe(1);
    expect(notDependency.err).toMatch(/not a VNFRecordDependency/);
  });
});
