import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { markTopDirectory } from '../../src/logs/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, 'vnfkit-top-'));
  dirs.push(dir);
  return dir;
}
const fsType = (dir: string): string => execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
const flags = (dir: string): string => execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0] ?? '';

describe('markTopDirectory', () => {
  it("creates the directory and sets ext4's T flag where the file system has one", async () => {
    const dir = join(await tempDir(), 'logs', 'nested');
    const result = await markTopDirectory(dir);
    expect(existsSync(dir)).toBe(true);
    if (fsType(dir).startsWith('ext')) {
      expect(result).toEqual({ marked: true });
      expect(flags(dir)).toContain('T');
    } else {
      expect(result.marked).toBe(false);
    }
  });

  it('reports a file system without the flag (tmpfs) as not marked, with the reason', async () => {
    const shm = '/dev/shm';
    expect(fsType(shm)).toBe('tmpfs');
    const dir = join(await tempDir(shm), 'logs');
    const result = await markTopDirectory(dir);
    expect(existsSync(dir)).toBe(true);
    expect(result.marked).toBe(false);
    if (!result.marked) expect(result.reason).toMatch(/not supported|Inappropriate ioctl/i);
  });

  it('reports a missing chattr as not marked instead of failing', async () => {
    const dir = join(await tempDir(), 'logs');
    const result = await markTopDirectory(dir, { command: '/nonexistent/chattr' });
    expect(existsSync(dir)).toBe(true);
    expect(result).toEqual({ marked: false, reason: expect.stringContaining('ENOENT') });
  });
});
