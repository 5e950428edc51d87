import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExecutionStore } from '../src/execution-store.js';
import { tempDir } from './helpers/temp.js';

const reply = { output: 'o', err: '', status: 0 };

describe('execution store journal of started records', () => {
  it('keeps a started record across a restart of the agent (a new store on the same directory)', async () => {
    const dir = join(await tempDir(), 'executions');
    const first = await createExecutionStore({ dir });
    await first.markStarted({ key: 'k1', bodyHash: 'h1', action: 'EXECUTE' });
    first.close();
    const second = await createExecutionStore({ dir });
    expect(await second.get('k1')).toMatchObject({ key: 'k1', bodyHash: 'h1', state: 'started' });
    second.close();
  });

  it('falls back to the started record when the finished file is torn', async () => {
    const dir = join(await tempDir(), 'executions');
    const store = await createExecutionStore({ dir });
    await store.markStarted({ key: 'k2', bodyHash: 'h2', action: 'EXECUTE' });
    await store.markFinished({ key: 'k2', bodyHash: 'h2', action: 'EXECUTE' }, reply);
    expect(await store.get('k2')).toMatchObject({ state: 'finished', reply });
    const [file] = await readdir(dir);
    const text = await readFile(join(dir, file ?? ''), 'utf8');
    await writeFile(join(dir, file ?? ''), text.slice(0, 20));
    expect(await store.get('k2')).toMatchObject({ state: 'started', bodyHash: 'h2' });
    store.close();
  });

  it('does not let the finished file of an earlier command with the same id hide a newer start', async () => {
    const dir = join(await tempDir(), 'executions');
    const store = await createExecutionStore({ dir });
    await store.markStarted({ key: 'k3', bodyHash: 'old', action: 'EXECUTE' });
    await store.markFinished({ key: 'k3', bodyHash: 'old', action: 'EXECUTE' }, reply);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later startedAt
    await store.markStarted({ key: 'k3', bodyHash: 'new', action: 'EXECUTE' });
    expect(await store.get('k3')).toMatchObject({ state: 'started', bodyHash: 'new' });
    store.close();
  });

  it('reuses its slots as a ring: the newest records stay readable after many commands', async () => {
    const dir = join(await tempDir(), 'executions');
    const store = await createExecutionStore({ dir });
    for (let i = 0; i < 200; i += 1) await store.markStarted({ key: `r${i}`, bodyHash: `h${i}`, action: 'EXECUTE' });
    store.close();
    const reopened = await createExecutionStore({ dir });
    expect(await reopened.get('r199')).toMatchObject({ state: 'started', bodyHash: 'h199' });
    expect(await reopened.get('r0')).toBeUndefined();
    reopened.close();
  });
});
