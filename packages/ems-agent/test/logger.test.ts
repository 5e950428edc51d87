import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { createRootLogger } from '../src/logger.js';
import { tempDir } from './helpers/temp.js';
import { waitFor } from './helpers/wait-for.js';

describe('createRootLogger', () => {
  it('writes JSON lines to stdout and to log_file, redacting secrets and script environments', async () => {
    const dir = await tempDir();
    const file = join(dir, 'logs', 'ems.log');
    const lines: Record<string, unknown>[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        callback();
      },
    });
    const logger = createRootLogger(resolveConfig({ hostname: 'h-1', log_file: file, log_level: 'debug' }), { stdout });
    logger.child({ hostname: 'h-1' }).info({ password: 'pw', signing_key: 'k', command: { env: { SECRET: 'x' } } }, 'hello');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'hello',
      hostname: 'h-1',
      password: '[redacted]',
      signing_key: '[redacted]',
      command: { env: '[redacted]' },
    });
    const text = await waitFor(async () => readFile(file, 'utf8').catch(() => ''), { what: 'the log file' });
    expect(JSON.parse(text.trim())).toMatchObject({ msg: 'hello', name: 'vnfkit-ems' });
    expect(text).not.toContain('pw');
  });
});
