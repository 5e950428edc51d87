/** What the command handling hands dispatch and the NFVO request flows besides the command itself. */
import type { Logger } from 'pino';
import type { ResolvedVnfmOptions } from '../config.js';
import type { JournalRecord, JournalStep } from '../journal/operation-journal.js';
import type { Transport } from '@vnfkit/transport';
import type { VnfmHooks } from './hooks.js';

/** Records a step of the command being handled in the operation journal. */
export type Tracker = (step: JournalStep, patch?: Partial<Omit<JournalRecord, 'key' | 'at' | 'step'>>) => Promise<void>;

/**
 * The explicit inputs of a flow: the transport it asks the NFVO on, the VNFM's options, the hooks it calls
 * (`H`: their names), and the logger of the command.
 */
export interface FlowInput<H extends keyof VnfmHooks> {
  transport: Transport;
  options: ResolvedVnfmOptions;
  hooks: Pick<VnfmHooks, H>;
  logger: Logger;
}
