import { ScriptFailedError } from '../errors.js';
import type { EventPlan, PlanCommand, ScriptStep, VnfcWork } from '../plan/index.js';

/** What an agent answered to one command (`EmsReply`). */
export interface CommandReply {
  output: string;
  err: string;
  status: number;
}

/** Sends one planned command to the agent of `hostname` and resolves with its reply (any status). */
export type CommandSender = (hostname: string, command: PlanCommand) => Promise<CommandReply>;

/** Called after every answered `EXECUTE` (success or not), e.g. to write the script logs. */
export type ExecutionObserver = (event: {
  step: ScriptStep;
  work: VnfcWork;
  command: PlanCommand & { kind: 'execute' };
  reply: CommandReply;
}) => Promise<void> | void;

/** Input of {@link runPlan}. */
export interface RunPlanOptions {
  plan: EventPlan;
  /** The VNFR, for error messages. */
  vnfr: { id?: string | null; name?: string | null };
  send: CommandSender;
  onExecuted?: ExecutionObserver;
}

/** The outcome of a fully successful plan. */
export interface RunPlanResult {
  /** Number of `EXECUTE`s that ran. */
  executions: number;
}

/**
 * Runs a plan script by script: within one step the VNFCs run in parallel (or one after the
 * other when the plan says `serial`), each VNFC's own commands always in order (an agent runs
 * one command at a time anyway). The first failure stops the event: no further command starts,
 * commands already running finish, then the failure of the first failing VNFC in hostname
 * order is thrown as a {@link ScriptFailedError} (non-zero status, or the agent never answered).
 */
export async function runPlan(options: RunPlanOptions): Promise<RunPlanResult> {
  const { plan, send } = options;
  let executions = 0;
  for (const step of plan.steps) {
    let stopped = false;
    const failures = new Map<string, ScriptFailedError>();

    const runWork = async (work: VnfcWork): Promise<void> => {
      for (const command of work.commands) {
        if (stopped) return;
        let reply: CommandReply;
        try {
          reply = await send(work.hostname, command);
        } catch (error) {
          stopped = true;
          failures.set(work.hostname, failureOf({ options, step, work, command, error }));
          return;
        }
        if (command.kind === 'execute') {
          executions += 1;
          await options.onExecuted?.({ step, work, command, reply });
        }
        if (reply.status !== 0) {
          stopped = true;
          failures.set(work.hostname, failureOf({ options, step, work, command, reply }));
          return;
        }
      }
    };

    if (plan.concurrency === 'serial') {
      for (const work of step.vnfcs) {
        await runWork(work);
        if (stopped) break;
      }
    } else {
      await Promise.all(step.vnfcs.map(runWork));
    }

    if (failures.size > 0) {
      const first = step.vnfcs.find((work) => failures.has(work.hostname));
      throw failures.get(first?.hostname ?? '') ?? [...failures.values()][0];
    }
  }
  return { executions };
}

function failureOf(input: {
  options: RunPlanOptions;
  step: ScriptStep;
  work: VnfcWork;
  command: PlanCommand;
  reply?: CommandReply;
  error?: unknown;
}): ScriptFailedError {
  const { options, step, work, command, reply, error } = input;
  return new ScriptFailedError({
    vnfrId: options.vnfr.id ?? '',
    vnfrName: options.vnfr.name ?? '',
    event: step.event,
    scriptIndex: step.scriptIndex,
    scriptName: step.scriptName,
    script: step.script,
    hostname: work.hostname,
    command: command.kind === 'execute' ? 'EXECUTE' : 'SAVE_VNFR_DEPENDENCY',
    ...(reply ? { exitStatus: reply.status, stderr: reply.err, stdout: reply.output } : {}),
    ...(error !== undefined ? { cause: error } : {}),
  });
}
