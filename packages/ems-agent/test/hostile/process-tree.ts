// A bounded fork bomb under the command timeout, on a real agent process over the real broker: the
// command times out with a clear error and afterwards no process of the tree is left, including
// children that ignore SIGTERM and children that left the process group with setsid. Shared by the
// normal suite (process-tree.test.ts) and the soak suite (a larger tree).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { saveScript, startAgentPair } from '../helpers/agent-pair.js';
import { processesWithEnv, processState } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait-for.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/scripts/tree-escapes.sh');

/** Nodes of a tree of `depth` levels below the root with `fanout` children each. */
export function treeSize(depth: number, fanout: number): number {
  let total = 0;
  for (let level = 0; level <= depth; level += 1) total += fanout ** level;
  return total;
}

/**
 * Runs the tree script through EXECUTE on a fresh agent, waits for the timeout reply and checks
 * that every process of the tree is gone. Returns figures for the caller to report.
 */
export async function runTreeUnderTimeout(
  depth: number,
  fanout: number,
  timeoutS: number,
): Promise<{ processes: number; escapees: number; replyMs: number }> {
  const pair = await startAgentPair('tree', { command_timeout: timeoutS, kill_grace: 1 });
  await saveScript(pair, 'tree.sh', await readFile(FIXTURE, 'utf8'));
  const tag = randomUUID();
  // Whatever the outcome, leave no tree behind for the next tests.
  onTestFinished(async () => {
    for (const pid of await processesWithEnv('TREE_TAG', tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const expected = treeSize(depth, fanout);
  const pidsFile = join(pair.scriptsDir, `${tag}.pids`);
  const started = Date.now();
  const replied = pair.vnfm.send(
    pair.hostname,
    { action: 'EXECUTE', payload: `tree.sh ${depth} ${fanout}`, env: { TREE_TAG: tag } },
    { timeoutMs: (timeoutS + 30) * 1000 },
  );
  // While the tree runs: all of it is up, and part of it left the process group (setsid).
  const pids = await waitFor(
    async () => {
      const lines = (await readFile(pidsFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(Number);
      return lines.length === expected ? lines : undefined;
    },
    { timeoutMs: timeoutS * 1000, what: `${expected} processes of the tree to start` },
  );
  let escapees = 0;
  for (const pid of pids) {
    // Field 6 of /proc/<pid>/stat is the session id; a session leader here called setsid.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    if (Number(fields[3]) === pid) escapees += 1;
  }
  expect(escapees).toBeGreaterThan(0);
  const reply = await replied;
  const replyMs = Date.now() - started;
  expect(reply.json.status).toBe(124);
  expect(reply.json.err).toContain(`tree.sh timed out after ${timeoutS} s`);
  // Killed orphans are reaped by init a little later; zombies are dead, anything else is a survivor.
  const left = await processesWithEnv('TREE_TAG', tag);
  expect(left, `processes of the tree still running after the reply: ${left.join(' ')}`).toEqual([]);
  for (const pid of pids) expect(await processState(pid).then((state) => state === undefined || state === 'Z')).toBe(true);
  // The agent keeps serving.
  await saveScript(pair, 'ok.sh', 'echo still-serving\n');
  expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json).toEqual({
    output: 'still-serving\n',
    err: '',
    status: 0,
  });
  expect(pair.agent.child.exitCode).toBeNull();
  await waitFor(async () => (await processesWithEnv('TREE_TAG', tag)).length === 0, { what: 'no tree process left' });
  return { processes: pids.length, escapees, replyMs };
}
