import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { GenericVnfmConfig } from '../../src/config.js';
import { GenericVnfm } from '../../src/generic-vnfm.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('Generic VNFM start: the script-log directory', () => {
  it('a log directory that cannot be created stops the start before any connection, naming it', async () => {
    const work = await mkdtemp(join(tmpdir(), 'vnfkit-logdir-'));
    dirs.push(work);
    await writeFile(join(work, 'file'), 'not a directory');
    const logDir = join(work, 'file', 'logs');
    const config = GenericVnfmConfig.parse({
      // Nothing listens here: were the directory checked after connecting, the error would be a connection's.
      amqpUrl: 'amqp://guest:guest@127.0.0.1:1',
      type: 'logdir-test',
      logDir,
      resumeDir: join(work, 'resume'),
      journalFile: join(work, 'operations.jsonl'),
      logLevel: 'silent',
    });
    const vnfm = new GenericVnfm({ config, bootstrapCredentials: { username: 'guest', password: 'guest' } });
    const started = vnfm.connect();
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(`cannot create the script-log directory ${logDir} (logDir): ENOTDIR`);
    expect(vnfm.state).not.toBe('running');
  });
});
