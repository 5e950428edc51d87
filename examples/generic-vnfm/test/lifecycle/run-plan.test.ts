import { describe, expect, it } from 'vitest';
import { ScriptFailedError } from '../../src/errors.js';
import { runPlan, type CommandReply } from '../../src/lifecycle/run-plan.js';
import { planEvent, type PlanCommand, type VnfcConcurrency } from '../../src/plan/index.js';

const vnfr = {
  id: 'vnfr-1',
  name: 'web',
  lifecycle_event: [{ event: 'START', lifecycle_events: ['a.sh', 'b.sh', 'c.sh'] }],
  vdu: [{ vnfc_instance: [{ hostname: 'web-3' }, { hostname: 'web-1' }, { hostname: 'web-2' }] }],
};

/** A fake agent fleet: records calls, lets a test decide replies, tracks concurrency. */
function fleet(decide: (hostname: string, command: PlanCommand) => CommandReply | Error = () => ({ output: 'ok', err: '', status: 0 })) {
  const calls: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const send = async (hostname: string, command: PlanCommand): Promise<CommandReply> => {
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    calls.push(`${hostname}:${command.kind === 'execute' ? command.payload : 'save'}`);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
    const decision = decide(hostname, command);
    if (decision instanceof Error) throw decision;
    return decision;
  };
  return { calls, send, maxRunning: () => maxRunning };
}

describe('runPlan', () => {
  it.each<[VnfcConcurrency, number]>([
    ['parallel', 3],
    ['serial', 1],
  ])('runs script-major (%s), VNFCs in hostname order', async (concurrency, expectedMax) => {
    const f = fleet();
    const executed: string[] = [];
    const result = await runPlan({
      plan: planEvent({ event: 'START', vnfr, concurrency }),
      vnfr,
      send: f.send,
      onExecuted: ({ work, command }) => {
        executed.push(`${work.hostname}:${command.payload}`);
      },
    });
    expect(result.executions).toBe(9);
    expect(f.calls.slice(0, 3).every((c) => c.endsWith(':a.sh'))).toBe(true);
    expect(f.calls.slice(6).every((c) => c.endsWith(':c.sh'))).toBe(true);
    expect(f.maxRunning()).toBe(expectedMax);
    if (concurrency === 'serial') expect(f.calls.slice(0, 3)).toEqual(['web-1:a.sh', 'web-2:a.sh', 'web-3:a.sh']);
    expect(executed).toHaveLength(9);
  });

  it('stops at the first failing step and names VNFR, host, script, status and stderr', async () => {
    const f = fleet((hostname, command) =>
      command.kind === 'execute' && command.payload === 'b.sh' && hostname !== 'web-1'
        ? { output: '', err: `bad things on ${hostname}\n`, status: 7 }
        : { output: 'ok', err: '', status: 0 },
    );
    const error = await runPlan({ plan: planEvent({ event: 'START', vnfr }), vnfr, send: f.send }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScriptFailedError);
    const failure = error as ScriptFailedError;
    // the first failing VNFC in hostname order is reported
    expect(failure).toMatchObject({
      vnfrId: 'vnfr-1',
      hostname: 'web-2',
      scriptIndex: 1,
      scriptName: 'b.sh',
      exitStatus: 7,
      event: 'START',
    });
    expect(failure.code).toBe('SCRIPT_FAILED');
    expect(failure.message).toContain('web');
    expect(failure.message).toContain('web-2');
    expect(failure.message).toContain('b.sh');
    expect(failure.message).toContain('7');
    expect(failure.message).toContain('bad things on web-2');
    expect(f.calls.some((c) => c.endsWith('c.sh'))).toBe(false);
  });

  it('in serial mode does not start the next VNFC after a failure', async () => {
    const f = fleet((hostname) => (hostname === 'web-1' ? { output: '', err: 'x', status: 1 } : { output: '', err: '', status: 0 }));
    await expect(runPlan({ plan: planEvent({ event: 'START', vnfr, concurrency: 'serial' }), vnfr, send: f.send })).rejects.toThrow(
      ScriptFailedError,
    );
    expect(f.calls).toEqual(['web-1:a.sh']);
  });

  it('turns an unanswered command into a ScriptFailedError with the cause', async () => {
    const timeout = new Error('timed out after 10 ms waiting for EXECUTE a.sh on web-1');
    const f = fleet((hostname) => (hostname === 'web-1' ? timeout : { output: '', err: '', status: 0 }));
    const error = (await runPlan({ plan: planEvent({ event: 'START', vnfr }), vnfr, send: f.send }).catch(
      (e: unknown) => e,
    )) as ScriptFailedError;
    expect(error).toBeInstanceOf(ScriptFailedError);
    expect(error.exitStatus).toBeUndefined();
    expect(error.cause).toBe(timeout);
    expect(error.message).toContain('timed out');
  });

  it('runs nothing for an empty plan', async () => {
    const f = fleet();
    expect(await runPlan({ plan: planEvent({ event: 'STOP', vnfr }), vnfr, send: f.send })).toEqual({ executions: 0 });
    expect(f.calls).toEqual([]);
  });
});
