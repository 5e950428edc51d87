/** A decoded NFVO command → its hook (or its NFVO request flow) → the reply message. */
import { vnfmErrorMessage, type NfvoCommand, type VnfmMessage } from '@vnfkit/protocol';
import type { JournalRecord } from '../journal/operation-journal.js';
import type { FlowInput, Tracker } from './flow.js';
import type { ResumeResult, VnfmHooks } from './hooks.js';
import { runInstantiate } from './instantiate-flow.js';
import { findVnfc } from './records.js';
import { runScaleOut } from './scale-out-flow.js';

/** Input of {@link dispatch}: every hook but `onInterrupted` (which only the delivery handling calls). */
export interface DispatchInput extends FlowInput<Exclude<keyof VnfmHooks, 'onInterrupted'>> {
  command: NfvoCommand;
  track: Tracker;
  /** The journal record of a command taken over from a replica that is gone (INSTANTIATE continues after `allocated`). */
  resumeFrom?: JournalRecord | undefined;
}

/** Runs the command's hook and returns the reply (`null`: the reply is JSON `null`). */
export async function dispatch(input: DispatchInput): Promise<VnfmMessage | null> {
  const { command, logger, track, transport, options, hooks, resumeFrom } = input;
  switch (command.action) {
    case 'INSTANTIATE': {
      const vnfr = await runInstantiate({ message: command, logger, track, transport, options, hooks, resumeFrom });
      return vnfr === null ? null : { action: 'INSTANTIATE', virtualNetworkFunctionRecord: vnfr };
    }
    case 'MODIFY':
      return {
        action: 'MODIFY',
        virtualNetworkFunctionRecord: await hooks.modify({ vnfr: command.vnfr, dependency: command.vnfrd, logger }),
      };
    case 'START':
    case 'STOP': {
      const ctx = { vnfr: command.virtualNetworkFunctionRecord, vnfcInstance: command.vnfcInstance, logger };
      const result = command.action === 'START' ? await hooks.start(ctx) : await hooks.stop(ctx);
      const reply: VnfmMessage = { action: command.action, virtualNetworkFunctionRecord: result };
      if (command.vnfcInstance) reply.vnfcInstance = findVnfc(result, command.vnfcInstance) ?? command.vnfcInstance;
      return reply;
    }
    case 'RELEASE_RESOURCES':
      return { action: 'RELEASE_RESOURCES', virtualNetworkFunctionRecord: await hooks.terminate({ vnfr: command.vnfr, logger }) };
    case 'SCALE_OUT':
      return runScaleOut({ message: command, logger, transport, options, hooks });
    case 'SCALE_IN':
      await hooks.scaleIn({ vnfr: command.virtualNetworkFunctionRecord, vnfcInstance: command.vnfcInstance, logger });
      return null;
    case 'HEAL': {
      const result = await hooks.heal({
        vnfr: command.virtualNetworkFunctionRecord,
        vnfcInstance: command.vnfcInstance,
        cause: command.cause,
        logger,
      });
      const reply: VnfmMessage = { action: 'HEAL', virtualNetworkFunctionRecord: result };
      const vnfc = command.vnfcInstance ? (findVnfc(result, command.vnfcInstance) ?? command.vnfcInstance) : undefined;
      if (vnfc) reply.vnfcInstance = vnfc;
      // No `cause`, as the Java SDK replies (VnfmUtils.getNfvMessageHealed never sets it, VnfmUtils.java 6.0.0:82-89):
      // the NFVO's HealTask ends a heal whose reply names a cause other than switchToStandby, and passes the
      // VNFC to the dependent VNFRs (MODIFY) when there is none (HealTask.java 6.0.0:74-88).
      return reply;
    }
    case 'UPDATE':
      return { action: 'UPDATE', virtualNetworkFunctionRecord: await hooks.update({ vnfr: command.vnfr, script: command.script, logger }) };
    case 'EXECUTE':
      return {
        action: 'EXECUTE',
        virtualNetworkFunctionRecord: await hooks.execute({ vnfr: command.vnfr, script: command.script, logger }),
      };
    case 'RESUME': {
      const result = await hooks.resume({ vnfr: command.vnfr, dependency: command.vnfrd, logger });
      return resumedReply(result);
    }
    case 'ERROR':
      await hooks.onNfvoError({ vnfr: command.vnfr, message: command.message ?? '', logger });
      return null;
    case 'LOG_REQUEST':
      return { action: 'LOG_REQUEST', ...(await hooks.logs({ vnfrName: command.vnfrName, hostname: command.hostname })) };
    case 'CONFIGURE':
      return { action: 'CONFIGURE', virtualNetworkFunctionRecord: command.vnfr };
    case 'GRANT_OPERATION':
    case 'ALLOCATE_RESOURCES':
    case 'SCALED':
    case 'SCALING':
    case 'UPDATEVNFR':
      // Answers to our own requests arrive on the reply queue, never here.
      logger.warn('unexpected answer-type message on the command queue');
      return null;
  }
}

function resumedReply(result: ResumeResult): VnfmMessage {
  if (result.action === 'ERROR') return vnfmErrorMessage({ vnfr: result.vnfr, message: 'resume failed' });
  return { action: result.action, virtualNetworkFunctionRecord: result.vnfr } as VnfmMessage;
}
