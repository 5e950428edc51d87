/** @vnfkit/vnfm-sdk — an abstract VNF manager for Open Baton 6.0 over RabbitMQ. */
export * from '@vnfkit/transport';
export { AbstractVnfm } from './vnfm.js';
// Protocol helpers a VNFM author uses every day, re-exported for convenience.
export { allVnfcs } from '@vnfkit/protocol';
export type {
  HookContext,
  InstantiateContext,
  ValidateInstantiateContext,
  ModifyContext,
  StartStopContext,
  ScaleOutContext,
  ScaleInContext,
  HealContext,
  UpdateContext,
  ExecuteContext,
  ResumeContext,
  ResumeResult,
  NfvoErrorContext,
  UserDataContext,
  VnfmState,
  InterruptedContext,
} from './vnfm.js';
export { OperationJournal } from './journal/operation-journal.js';
export type { JournalRecord, JournalStep, OperationJournalOptions } from './journal/operation-journal.js';
export { resolveVnfmOptions } from './config.js';
export type { VnfmOptions, ResolvedVnfmOptions, BrokerCredentials, TransportFactory } from './config.js';
export { buildVnfr } from './vnfr.js';
export { managerEndpoint, registerWithNfvo, unregisterFromNfvo, requestNfvo } from './nfvo/nfvo-client.js';
export { EmsClient } from './ems/ems-client.js';
export type { EmsClientOptions } from './ems/ems-client.js';
export { FileIdentityPins, MemoryIdentityPins, StreamIdentityPins } from './ems/identity-pins.js';
export type { IdentityPins } from './ems/identity-pins.js';
export { NfvoRefusedError, EmsAgentGoneError, EmsCommandError, EmsTimeoutError, EmsUntrustedError } from './errors.js';
