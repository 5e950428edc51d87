// The agent's own key pair (issue #15): made at first start, root-only, the same after a restart; a damaged file is
// an error that says what to do, never a silent new identity (the VNFM would see a conflict).
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityFile, loadOrCreateIdentity } from '../../src/identity/identity-file.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-identity-'));
  dirs.push(dir);
  return join(dir, 'state');
}

describe('loadOrCreateIdentity', () => {
  it('makes a key pair at first start (0600 file in a 0700 directory) and reads the same one back later', async () => {
    const dir = await stateDir();
    const first = loadOrCreateIdentity(dir);
    expect(first.created).toBe(true);
    expect(first.identity.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(identityFile(dir))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const again = loadOrCreateIdentity(dir);
    expect(again.created).toBe(false);
    expect(again.identity.publicKey).toBe(first.identity.publicKey);
  });

  it('narrows a file left readable to 0600, and refuses a damaged one with what to do', async () => {
    const dir = await stateDir();
    loadOrCreateIdentity(dir);
    await chmod(identityFile(dir), 0o644);
    loadOrCreateIdentity(dir);
    expect((await stat(identityFile(dir))).mode & 0o777).toBe(0o600);
    await writeFile(identityFile(dir), 'not a key');
    expect(() => loadOrCreateIdentity(dir)).toThrow(/identity\.pem holds no usable key .*remove it to make a new one/);
    expect(await readFile(identityFile(dir), 'utf8')).toBe('not a key'); // left for the operator
  });
});
