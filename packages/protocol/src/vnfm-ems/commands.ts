import { z } from 'zod';
import { IDENTITY_PUBLIC_KEY_PATTERN } from '../vm-identity.js';

const scriptPath = { 'script-path': z.string().optional() };

/** One more file of a bundled `SAVE_SCRIPTS` (vnfkit extension, `BUNDLES_V1`): name and base64 content. */
export const ScriptFile = z.looseObject({ name: z.string(), payload: z.string() });
/** One more file of a bundled `SAVE_SCRIPTS`. */
export type ScriptFile = z.infer<typeof ScriptFile>;

/**
 * Save one script file (base64 `payload`) into the agent's script directory; to agents whose hello says
 * `bundles: 'v1'`, `files` carries more files saved by the same command (all refused if one is).
 */
export const SaveScriptsCommand = z.looseObject({
  action: z.literal('SAVE_SCRIPTS'),
  payload: z.string(),
  name: z.string(),
  files: z.array(ScriptFile).optional(),
  ...scriptPath,
});
/** Save one script file (or, bundled, several). */
export type SaveScriptsCommand = z.infer<typeof SaveScriptsCommand>;

/** Clone a git repository (URL in `payload`) as the script directory. */
export const CloneScriptsCommand = z.looseObject({ action: z.literal('CLONE_SCRIPTS'), payload: z.string(), ...scriptPath });
/** Clone a git repository as the script directory. */
export type CloneScriptsCommand = z.infer<typeof CloneScriptsCommand>;

/**
 * Run a script: `payload` = script name plus whitespace-separated arguments; `env` absent for ad-hoc runs. To agents
 * whose hello says `bundles: 'v1'` (or `'v2'`), `dependency` carries a `SAVE_VNFR_DEPENDENCY` payload saved before the
 * script runs; to those that say `'v2'`, `files` carries package files saved before that (as a bundled SAVE_SCRIPTS
 * saves them). The script does not run when either cannot be saved.
 */
export const ExecuteCommand = z.looseObject({
  action: z.literal('EXECUTE'),
  payload: z.string(),
  env: z.record(z.string(), z.string()).optional(),
  dependency: z.string().optional(),
  files: z.array(ScriptFile).optional(),
  ...scriptPath,
});
/** Run a script. */
export type ExecuteCommand = z.infer<typeof ExecuteCommand>;

/** Overwrite one script (base64 `payload`). */
export const ScriptsUpdateCommand = z.looseObject({
  action: z.literal('SCRIPTS_UPDATE'),
  payload: z.string(),
  name: z.string(),
  ...scriptPath,
});
/** Overwrite one script. */
export type ScriptsUpdateCommand = z.infer<typeof ScriptsUpdateCommand>;

/** Write the `ob_parameters.*` files; `payload` is a VNFRecordDependency serialised to a JSON string. */
export const SaveVnfrDependencyCommand = z.looseObject({ action: z.literal('SAVE_VNFR_DEPENDENCY'), payload: z.string(), ...scriptPath });
/** Write the `ob_parameters.*` files. */
export type SaveVnfrDependencyCommand = z.infer<typeof SaveVnfrDependencyCommand>;

/** Any VNFM → EMS command, discriminated on `action`. */
export const EmsCommand = z.discriminatedUnion('action', [
  SaveScriptsCommand,
  CloneScriptsCommand,
  ExecuteCommand,
  ScriptsUpdateCommand,
  SaveVnfrDependencyCommand,
]);
/** Any VNFM → EMS command. */
export type EmsCommand = z.infer<typeof EmsCommand>;

/** The agent's hello on `ems.<type>.register`. */
export const EmsHello = z.looseObject({
  hostname: z.string().min(1),
  /** vnfkit agents: `'correlation-id'` (`DEDUPLICATES_BY_CORRELATION_ID`), commands marked with `DEDUP_HEADER` that repeat are answered, not re-run. */
  deduplicates: z.string().optional(),
  /**
   * vnfkit agents with a signing key: `'signature-v3'` (`VERIFIES_SIGNATURE_V3`), commands not signed with this VM's
   * key (`signCommand`) are refused and replies carry `REPLY_SIGNATURE_HEADER`. Absent: the agent runs whatever it gets.
   */
  verifies: z.string().optional(),
  /**
   * vnfkit agents: `'v2'` (`BUNDLES_V2`): bundled commands are accepted (`files` on SAVE_SCRIPTS and on EXECUTE,
   * `dependency` on EXECUTE); `'v1'` (`BUNDLES_V1`, earlier agents): all but `files` on EXECUTE.
   */
  bundles: z.string().optional(),
  /**
   * vnfkit agents given the VNFM's public key: the agent's own X25519 public key (raw, base64url) and its MAC with
   * the VNFR-derived host key (`identityMac`). The VNFM pins the first one per host; commands and replies are then
   * signed with `deriveVmKey`, which no sibling VM can derive.
   */
  identity: z.object({ publicKey: z.string().regex(IDENTITY_PUBLIC_KEY_PATTERN), mac: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});
/** The agent's hello. */
export type EmsHello = z.infer<typeof EmsHello>;

/** The agent's reply; `status` may arrive as a numeric string (upstream EMS quirk) and is read as a number. */
export const EmsReply = z.looseObject({
  output: z.string().default(''),
  err: z.string().default(''),
  status: z.union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ]),
});
/** The agent's reply. */
export type EmsReply = z.output<typeof EmsReply>;
