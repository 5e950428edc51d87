/** @vnfkit/protocol — the Open Baton 6.0 wire format as zod schemas, with a codec and wire helpers. No I/O of its own. */
export * from './names.js';
export { ErrorCode, VnfkitError, ProtocolError, TimeoutError, TransportError, ConfigError, toError } from './errors.js';
export type { ProtocolIssue } from './errors.js';
export * from './catalogue/index.js';
export { Action } from './nfvo-vnfm/action.js';
export {
  OrVnfmInstantiateMessage,
  OrVnfmGrantLifecycleOperationMessage,
  OrVnfmScalingMessage,
  OrVnfmHealVNFRequestMessage,
  OrVnfmUpdateMessage,
  OrVnfmStartStopMessage,
  OrVnfmErrorMessage,
  OrVnfmLogMessage,
  OrVnfmExecuteScriptMessage,
  OrVnfmGenericMessage,
  NfvoCommand,
  VnfmOrAllocateResourcesMessage,
  JavaException,
  VnfmOrErrorMessage,
  VnfmOrInstantiateMessage,
  VnfmOrScaledMessage,
  VnfmOrScalingMessage,
  VnfmOrHealedMessage,
  VnfmOrStartStopMessage,
  VnfmOrLogMessage,
  VnfmOrGenericMessage,
  VnfmMessage,
  recordOf,
  allVnfcs,
  dependencyOf,
  vnfmErrorMessage,
  isGenericNfvoAction,
} from './nfvo-vnfm/messages.js';
export { VnfmManagerEndpoint, RegisterMessage, UnregisterMessage, ManagerMessage, ManagerCredentials } from './nfvo-vnfm/manager.js';
export {
  SaveScriptsCommand,
  ScriptFile,
  CloneScriptsCommand,
  ExecuteCommand,
  ScriptsUpdateCommand,
  SaveVnfrDependencyCommand,
  EmsCommand,
  EmsHello,
  EmsReply,
} from './vnfm-ems/commands.js';
export { REFUSED_ENV_RULES, envNameRefusal, isRefusedEnvName, refusedEnvNames, parseEnvNameList } from './vnfm-ems/env-names.js';
export type { RefusedEnvRule, EnvNameOptions } from './vnfm-ems/env-names.js';
export {
  decodeNfvoCommand,
  decodeVnfmMessage,
  decodeManagerMessage,
  decodeManagerCredentials,
  decodeEmsCommand,
  decodeEmsReply,
  decodeEmsHello,
  encodeMessage,
} from './codec.js';
export type { WireBody, EncodedMessage } from './codec.js';
export {
  payloadToBytes,
  bytesToPayload,
  toBase64,
  fromBase64,
  bundleFiles,
  wireFiles,
  BUNDLE_MAX_PAYLOAD_BYTES,
  sanitizeEnvName,
  signCommand,
  verifyCommandSignature,
  deriveAgentKey,
  deriveVnfrKey,
  signedReplyTo,
  signReply,
  verifyReplySignature,
} from './helpers.js';
export type { CommandSignatureInput, SignatureCheck } from './helpers.js';
export {
  IDENTITY_PUBLIC_KEY_PATTERN,
  agentIdentityFromPem,
  deriveVmKey,
  identityMac,
  newAgentIdentity,
  verifyIdentityMac,
  vnfmIdentity,
} from './vm-identity.js';
export type { IdentityKeyPair, VmKeyInput } from './vm-identity.js';
