import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationJournal } from '../../src/journal/operation-journal.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function journalFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-journal-'));
  dirs.push(dir);
  return join(dir, 'sub', 'operations.jsonl');
}

describe('OperationJournal', () => {
  it('survives a reopen: unanswered commands come back as interrupted, with the furthest VNFR and the reply', async () => {
    const file = await journalFile();
    const a = await OperationJournal.open({ file });
    await a.step('c1', 'received', { action: 'INSTANTIATE', vnfrName: 'v1', replyTo: 'amq.rabbitmq.reply-to.x' });
    await a.step('c1', 'granted', { vnfr: { id: 'vnfr-1', name: 'v1' }, vnfrId: 'vnfr-1' });
    await a.step('c2', 'received', { action: 'START', vnfrId: 'vnfr-2' });
    await a.step('c2', 'replying', { reply: '{"action":"START"}' });
    await a.step('c3', 'received', { action: 'MODIFY' });
    await a.step('c3', 'replying', { reply: '{"action":"MODIFY"}' });
    await a.step('c3', 'answered');
    await a.close();

    const b = await OperationJournal.open({ file });
    expect(b.interrupted().map((r) => [r.key, r.step])).toEqual([
      ['c1', 'granted'],
      ['c2', 'replying'],
    ]);
    expect(b.get('c1')).toMatchObject({
      action: 'INSTANTIATE',
      vnfrId: 'vnfr-1',
      vnfrName: 'v1',
      replyTo: 'amq.rabbitmq.reply-to.x',
      vnfr: { id: 'vnfr-1' },
    });
    expect(b.get('c2')?.reply).toBe('{"action":"START"}');
    expect(b.get('c3')).toMatchObject({ step: 'answered' });
    expect(b.get('c3')?.reply).toBeUndefined(); // answered: the stored reply is dropped
    await b.close();
  });

  it('skips a torn last line (crash mid-write) and compacts answered records beyond the retention', async () => {
    const file = await journalFile();
    const a = await OperationJournal.open({ file, retainAnswered: 2 });
    for (const key of ['k1', 'k2', 'k3', 'k4']) {
      await a.step(key, 'received', { action: 'START' });
      await a.step(key, 'answered');
    }
    await a.step('k5', 'received', { action: 'STOP' });
    await a.close();
    await appendFile(file, '{"key":"k6","step":"rec');
    const b = await OperationJournal.open({ file, retainAnswered: 2 });
    expect(b.get('k1')).toBeUndefined();
    expect(b.get('k2')).toBeUndefined();
    expect(b.get('k3')?.step).toBe('answered');
    expect(b.get('k4')?.step).toBe('answered');
    expect(b.get('k6')).toBeUndefined();
    expect(b.interrupted().map((r) => r.key)).toEqual(['k5']);
    await b.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3); // compacted to one line per kept record
  });

  it('refuses a second live owner of the same file, and is free again once closed', async () => {
    const file = await journalFile();
    const a = await OperationJournal.open({ file });
    await expect(OperationJournal.open({ file })).rejects.toThrow(/operation journal .* is in use by VNFM process \d+/);
    await a.close();
    const b = await OperationJournal.open({ file });
    await b.close();
  });

  it('takes over the lock of a dead process', async () => {
    const file = await journalFile();
    const a = await OperationJournal.open({ file });
    await a.close();
    await writeFile(`${file}.lock`, '999999999');
    const b = await OperationJournal.open({ file });
    await b.close();
  });

  it('without a file keeps records in memory only', async () => {
    const j = await OperationJournal.open();
    await j.step('x', 'received', { action: 'START' });
    expect(j.get('x')?.step).toBe('received');
    expect(j.interrupted()).toEqual([]);
    await j.close();
  });
});
