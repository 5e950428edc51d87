import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/internal/replay-guard.js';
import { tempDir } from '../helpers/temp.js';

describe('ReplayGuard', () => {
  it('refuses old, future and used ids; forgets ids once they are too old to be replayed anyway', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard({ maxAgeMs: 60_000, now: () => now });
    expect(guard.admit('a', now)).toBeUndefined();
    expect(guard.admit('a', now)).toMatch(/already used/);
    expect(guard.admit('old', now - 60_001)).toMatch(/signed 60 s ago, longer than max_command_age \(60 s\)/);
    expect(guard.admit('future', now + 60_001)).toMatch(/in the future/);
    now += 120_000;
    // 'a' is forgotten on the next admit; a replay of it is too old now.
    expect(guard.admit('b', now)).toBeUndefined();
    expect(guard.admit('a', now - 120_000)).toMatch(/longer than max_command_age/);
  });

  it('keeps the used ids in its file across restarts, skips a torn last line, and rewrites the file with the live ids only', async () => {
    const file = join(await tempDir('vnfkit-replay-'), 'signed-commands');
    let now = 5_000_000;
    const first = new ReplayGuard({ maxAgeMs: 60_000, file, now: () => now });
    for (let i = 0; i < 100; i++) expect(first.admit(`id-${i}`, now)).toBeUndefined();
    expect(first.admit('with "quotes"\nand a newline', now)).toBeUndefined();
    appendFileSync(file, '5000000 "torn'); // a crash in the middle of an append
    const second = new ReplayGuard({ maxAgeMs: 60_000, file, now: () => now });
    expect(second.admit('id-7', now)).toMatch(/already used/);
    expect(second.admit('with "quotes"\nand a newline', now)).toMatch(/already used/);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(101); // rewritten on load: the torn line is gone
    // Later, every earlier id has expired: appends grow the file only up to twice the live ids, then it is rewritten.
    now += 61_000;
    for (let i = 0; i < 200; i++) expect(second.admit(`late-${i}`, now)).toBeUndefined();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(2 * 200 + 64);
    expect(lines.some((l) => l.includes('"id-7"'))).toBe(false);
    const third = new ReplayGuard({ maxAgeMs: 60_000, file, now: () => now });
    expect(third.admit('late-199', now)).toMatch(/already used/);
  });
});
