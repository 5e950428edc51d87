import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EXECUTION_MARKER_ENV, ProcessTreeMarker } from '../../src/internal/containment.js';
import { runScriptProcess } from '../../src/exec.js';
import { processState } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait-for.js';

function killLater(pid: number | undefined): void {
  onTestFinished(() => {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

describe('ProcessTreeMarker', () => {
  it('finds and kills the processes carrying its token, also after setsid, and nothing else', async () => {
    const marker = new ProcessTreeMarker();
    const other = new ProcessTreeMarker();
    expect(marker.token).not.toBe(other.token);
    const mine = spawn('setsid', ['sleep', '1000'], { env: { ...process.env, ...marker.env }, stdio: 'ignore' });
    const theirs = spawn('sleep', ['1000'], { env: { ...process.env, ...other.env }, stdio: 'ignore' });
    killLater(mine.pid);
    killLater(theirs.pid);
    await waitFor(() => marker.find().length === 1, { what: 'the marked process' });
    expect(marker.find()).toEqual([mine.pid]);
    expect(marker.killAll()).toBeGreaterThanOrEqual(1);
    await waitFor(async () => ['Z', undefined].includes(await processState(mine.pid ?? 0)), { what: 'the marked process to die' });
    expect(marker.alive()).toBe(false);
    expect(await processState(theirs.pid ?? 0)).toBe('S');
  });

  it("documented limit: a process exec'ed with a cleared environment (env -i) is not found", async () => {
    const marker = new ProcessTreeMarker();
    const child = spawn('env', ['-i', 'sleep', '1000'], { env: { ...process.env, ...marker.env }, stdio: 'ignore' });
    killLater(child.pid);
    await waitFor(async () => (await processState(child.pid ?? 0)) === 'S', { what: 'env -i sleep to run' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(marker.find()).toEqual([]);
  });

  it('the script sees the marker and a VNFM env entry cannot override it', async () => {
    const result = await runScriptProcess({
      command: '/bin/bash',
      args: ['-c', `printf %s "$${EXECUTION_MARKER_ENV}"`],
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [EXECUTION_MARKER_ENV]: 'forged' },
      timeoutMs: 10_000,
      killGraceMs: 100,
      maxOutputBytes: 1000,
      label: 'marker',
    });
    expect(result.stdout).toMatch(/^[0-9a-f]{24}$/);
  });
});
