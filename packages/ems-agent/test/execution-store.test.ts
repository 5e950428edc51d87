import { readdir, utimes } from 'node:fs/promises';
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

  it('prunes to the newest records', async () => {
    const dir = join(await tempDir(), 'executions');
    const store = await createExecutionStore({ dir, keep: 3, pruneEvery: 1000 });
    for (let i = 0; i < 6; i += 1) {
      await store.markFinished({ key: `k${i}`, bodyHash: 'h', action: 'EXECUTE' }, { output: '', err: '', status: 0 });
      const when = new Date(Date.now() - (10 - i) * 60_000);
      await utimes(join(dir, `k${i}.json`), when, when);
    }
    await store.prune();
    expect((await readdir(dir)).sort()).toEqual(['k3.json', 'k4.json', 'k5.json']);
  });
});
