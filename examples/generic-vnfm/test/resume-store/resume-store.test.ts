import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileResumeStore, MemoryResumeStore, resumedActionOf, type ResumeStore, type ScriptFailure } from '../../src/resume-store/index.js';
import { ResumeStoreError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-resume-'));
  dirs.push(dir);
  return dir;
}

const failure = (over: Partial<ScriptFailure> = {}): ScriptFailure => ({
  vnfrId: 'vnfr-1',
  vnfrName: 'iperf-server',
  event: 'INSTANTIATE',
  scriptIndex: 2,
  scriptName: 'install.sh',
  hostname: 'iperf-server-1',
  at: '2025-01-01T00:00:00.000Z',
  ...over,
});

const stores: Array<[string, () => Promise<ResumeStore>]> = [
  ['MemoryResumeStore', async () => new MemoryResumeStore()],
  ['FileResumeStore', async () => new FileResumeStore({ directory: join(await tempDir(), 'nested', 'resume') })],
];

describe.each(stores)('%s', (_name, create) => {
  it('records, returns, replaces and clears one failure per VNFR', async () => {
    const store = await create();
    expect(await store.get('vnfr-1')).toBeUndefined();
    await store.record(failure());
    await store.record(failure({ vnfrId: 'vnfr-2', event: 'CONFIGURE' }));
    expect(await store.get('vnfr-1')).toEqual(failure());
    await store.record(failure({ scriptIndex: 3, cause: 'serviceDown', vnfcHostnames: ['a'] }));
    expect(await store.get('vnfr-1')).toEqual(failure({ scriptIndex: 3, cause: 'serviceDown', vnfcHostnames: ['a'] }));
    await store.clear('vnfr-1');
    await store.clear('vnfr-1');
    expect(await store.get('vnfr-1')).toBeUndefined();
    expect((await store.get('vnfr-2'))?.event).toBe('CONFIGURE');
  });

  it('rejects malformed failures', async () => {
    const store = await create();
    await expect(store.record(failure({ scriptIndex: -1 }))).rejects.toThrow();
    await expect(store.record({ ...failure(), event: 'BOGUS' } as unknown as ScriptFailure)).rejects.toThrow();
  });
});

describe('FileResumeStore', () => {
  it('survives a new instance on the same directory (a VNFM restart)', async () => {
    const directory = await tempDir();
    await new FileResumeStore({ directory }).record(failure());
    expect(await new FileResumeStore({ directory }).get('vnfr-1')).toEqual(failure());
  });

  it('keeps ids with path characters inside its directory and leaves no temporary files', async () => {
    const root = await tempDir();
    const directory = join(root, 'store');
    const store = new FileResumeStore({ directory });
    await store.record(failure({ vnfrId: '../../escape' }));
    await store.record(failure({ vnfrId: '..' }));
    expect(await readdir(root)).toEqual(['store']);
    expect((await readdir(directory)).sort()).toEqual(['%2E%2E%2F%2E%2E%2Fescape.json', '%2E%2E.json']);
    expect((await store.get('../../escape'))?.vnfrId).toBe('../../escape');
  });

  it('reports a corrupt record as a ResumeStoreError naming the VNFR', async () => {
    const directory = await tempDir();
    await writeFile(join(directory, 'vnfr-1.json'), '{ not json');
    const error = await new FileResumeStore({ directory }).get('vnfr-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResumeStoreError);
    expect((error as ResumeStoreError).vnfrId).toBe('vnfr-1');
    expect((error as Error).message).toContain('vnfr-1');
  });
});

describe('resumedActionOf', () => {
  it('maps the failed event to the action reported to the NFVO', () => {
    expect((['INSTANTIATE', 'CONFIGURE', 'START', 'STOP', 'TERMINATE', 'HEAL', 'UPDATE', 'ERROR'] as const).map(resumedActionOf)).toEqual([
      'INSTANTIATE',
      'MODIFY',
      'START',
      'STOP',
      'RELEASE_RESOURCES',
      'HEAL',
      'UPDATE',
      'ERROR',
    ]);
  });
});
