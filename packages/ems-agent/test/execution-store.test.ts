import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExecutionStore, recordFileName } from '../src/execution-store.js';
import { tempDir } from './helpers/temp.js';

describe('execution store', () => {
  it('records started then finished, and reads it back', async () => {
    const store = await createExecutionStore({ dir: join(await tempDir(), 'executions') });
    await store.markStarted({ key: 'k1', bodyHash: 'h', action: 'EXECUTE' });
    expect(await store.get('k1')).toMatchObject({ state: 'started', action: 'EXECUTE' });
    await store.markFinished({ key: 'k1', bodyHash: 'h', action: 'EXECUTE' }, { output: 'o', err: '', status: 0 });
    expect(await store.get('k1')).toMatchObject({ state: 'finished', reply: { output: 'o', err: '', status: 0 } });
    expect(await store.get('unknown')).toBeUndefined();
  });

  it('uses a hash for unsafe keys', () => {
    expect(recordFileName('abc-123_X')).toBe('abc-123_X.json');
    expect(recordFileName('../../etc/passwd')).toMatch(/^sha256-[0-9a-f]{64}\.json$/);
    expect(recordFileName('.hidden')).toMatch(/^sha256-/);
  });

  it('keeps finished records in the journal slots: one reused file per slot, not one per command', async () => {
    const dir = join(await tempDir(), 'executions');
    const store = await createExecutionStore({ dir });
    for (let i = 0; i < 200; i += 1) {
      await store.markStarted({ key: `k${i}`, bodyHash: `h${i}`, action: 'EXECUTE' });
      await store.markFinished({ key: `k${i}`, bodyHash: `h${i}`, action: 'EXECUTE' }, { output: String(i), err: '', status: 0 });
    }
    const files = await readdir(dir);
    expect(files.length).toBe(64);
    expect(files.every((name) => /^slot-\d+\.json$/.test(name))).toBe(true);
    expect(await store.get('k199')).toMatchObject({ state: 'finished', reply: { output: '199' } });
    expect(await store.get('k0')).toBeUndefined();
    store.close();
  });

  it('removes the per-command record files of earlier versions when it opens', async () => {
    const dir = join(await tempDir(), 'executions');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'old-key.json'), '{}\n');
    const store = await createExecutionStore({ dir });
    expect(await readdir(dir)).toEqual([]);
    store.close();
  });
});
