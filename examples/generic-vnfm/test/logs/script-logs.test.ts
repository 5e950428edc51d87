import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptLogs } from '../../src/logs/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-logs-'));
  dirs.push(dir);
  return dir;
}

const entry = {
  vnfrName: 'iperf-server',
  hostname: 'iperf-server-1',
  script: 'install.sh',
  output: 'line 1\nline 2\n',
  err: '',
  status: 0,
};

describe('ScriptLogs', () => {
  it('appends outputs per VNFC and errors only for failed scripts; read gives lines', async () => {
    const logs = new ScriptLogs({ directory: await tempDir() });
    await logs.append(entry);
    await logs.append({ ...entry, script: 'fail.sh', output: 'partial', err: 'boom\n', status: 3 });
    await logs.append({ ...entry, hostname: 'iperf-server-2', output: 'other host' });
    const lines = await logs.read('iperf-server', 'iperf-server-1');
    expect(lines.outputLog).toContain('Output of Script : install.sh');
    expect(lines.outputLog).toContain('line 2');
    expect(lines.outputLog).toContain('Output of Script : fail.sh');
    expect(lines.outputLog.join('\n')).not.toContain('other host');
    expect(lines.errorLog).toContain('Error log of Script : fail.sh');
    expect(lines.errorLog).toContain('boom');
    expect(lines.errorLog.join('\n')).not.toContain('install.sh');
  });

  it('creates a VNFR directory again when it was removed underneath', async () => {
    const directory = await tempDir();
    const logs = new ScriptLogs({ directory });
    await logs.append(entry);
    await rm(join(directory, 'iperf-server'), { recursive: true, force: true });
    await logs.append({ ...entry, script: 'again.sh' });
    expect((await logs.read('iperf-server', 'iperf-server-1')).outputLog).toContain('Output of Script : again.sh');
  });

  it('reads missing logs as empty lists', async () => {
    const logs = new ScriptLogs({ directory: await tempDir() });
    expect(await logs.read('nope', 'nope-1')).toEqual({ outputLog: [], errorLog: [] });
  });

  it('keeps each file under its size bound, dropping the oldest lines', async () => {
    const logs = new ScriptLogs({ directory: await tempDir(), maxBytesPerFile: 4096 });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => logs.append({ ...entry, script: `s${i}.sh`, output: `${'x'.repeat(100)} #${i}\n` })),
    );
    const size = (await stat(logs.pathsOf('iperf-server', 'iperf-server-1').output)).size;
    expect(size).toBeLessThanOrEqual(4096);
    const { outputLog } = await logs.read('iperf-server', 'iperf-server-1');
    expect(outputLog[0]).toMatch(/older log lines dropped/);
    expect(outputLog).toContain('Output of Script : s59.sh');
    expect(outputLog).not.toContain('Output of Script : s0.sh');
  });

  it('cannot be steered out of its directory by names, and removes a VNFR', async () => {
    const root = await tempDir();
    const logs = new ScriptLogs({ directory: join(root, 'logs') });
    await logs.append({ ...entry, vnfrName: '..', hostname: '../../x' });
    expect(await readdir(root)).toEqual(['logs']);
    expect((await logs.read('..', '../../x')).outputLog.length).toBeGreaterThan(0);
    await logs.removeVnfr('..');
    expect(await readdir(join(root, 'logs'))).toEqual([]);
  });
});
