import { join } from 'node:path';
import type { SaveVnfrDependencyCommand } from '@vnfkit/protocol';
import { sanitizeEnvName } from '@vnfkit/protocol';
import { loadProtocol as protocol } from '../internal/lazy-modules.js';
import { shellQuote } from '../internal/shell.js';
import { DATA_MODE, ensureScriptDir, formatListing, listScripts, writeFileAtomic, type Checked } from '../scripts/script-store.js';
import { toYaml } from '../scripts/yaml-text.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/** File names written by `SAVE_VNFR_DEPENDENCY` (Open Baton's names, sourced by package scripts). */
export const PARAMETER_FILES = Object.freeze({
  json: 'ob_parameters.json',
  yaml: 'ob_parameters.yaml',
  shell: 'ob_parameters.sh',
});

// The protocol's schemas (zod's classic build, see internal/wire.ts) load on first use
// (internal/lazy-modules.ts): most agents never get this command, and start-up and idle RSS matter more.

/** Marker for a VNFC that lacks a key in the `:`-joined VNFC lines (Open Baton's). */
const MISSING = 'NA';

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Renders `ob_parameters.sh` from a VNFRecordDependency (parsed JSON): `# VNF Parameters` with
 * `export OB_<type>_VNF_<key>='<value>'`, then `# VNFC Parameters` with
 * `export OB_<type>_VNFC_<key>='<v1>:<v2>…'` (values of every source VNFC joined by `:`, `NA` where a
 * VNFC lacks the key). Unlike Open Baton's EMS, names are sanitised and values quoted.
 */
export function renderParametersShell(dependency: unknown): string {
  const root = asObject(dependency);
  const lines = ['# Written by vnfkit-ems on every SAVE_VNFR_DEPENDENCY (replaced, not appended).', '# VNF Parameters'];
  for (const [type, entry] of Object.entries(asObject(root.parameters))) {
    for (const [key, value] of Object.entries(asObject(asObject(entry).parameters))) {
      lines.push(`export ${sanitizeEnvName(`OB_${type}_VNF_${key}`)}=${shellQuote(asText(value))}`);
    }
  }
  lines.push('# VNFC Parameters');
  for (const [type, entry] of Object.entries(asObject(root.vnfcParameters))) {
    const vnfcs = Object.values(asObject(asObject(entry).parameters)).map((vnfc) => asObject(asObject(vnfc).parameters));
    const keys: string[] = [];
    for (const vnfc of vnfcs) for (const key of Object.keys(vnfc)) if (!keys.includes(key)) keys.push(key);
    for (const key of keys) {
      const joined = vnfcs.map((vnfc) => (key in vnfc ? asText(vnfc[key]) : MISSING)).join(':');
      lines.push(`export ${sanitizeEnvName(`OB_${type}_VNFC_${key}`)}=${shellQuote(joined)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `ob_parameters.json` (payload as received), `.yaml` and `.sh` into `dir`, each atomically, rewritten every
 * time and mode 0600 (the values may be passwords of other VNFs). Refused (nothing written): a payload that is not
 * a VNFRecordDependency in JSON. Also the `dependency` of a bundled EXECUTE.
 */
export async function writeDependencyFiles(dir: string, payload: string, context: CommandContext): Promise<Checked<void>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    return { ok: false, reason: `SAVE_VNFR_DEPENDENCY failed: payload is not JSON (${(error as Error).message})` };
  }
  const { VNFRecordDependency } = await protocol();
  const checked = VNFRecordDependency.safeParse(parsed);
  if (!checked.success) {
    return {
      ok: false,
      reason: `SAVE_VNFR_DEPENDENCY failed: payload is not a VNFRecordDependency (${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`,
    };
  }
  ensureScriptDir(dir);
  writeFileAtomic(join(dir, PARAMETER_FILES.json), payload, DATA_MODE);
  writeFileAtomic(join(dir, PARAMETER_FILES.yaml), toYaml(parsed), DATA_MODE);
  // Sourced, not executed: no executable bit.
  writeFileAtomic(join(dir, PARAMETER_FILES.shell), renderParametersShell(parsed), DATA_MODE);
  context.logger.info({ dir }, 'dependency parameters saved');
  return { ok: true, value: undefined };
}

/** `SAVE_VNFR_DEPENDENCY`: {@link writeDependencyFiles} into the script directory; replies with the listing. */
export async function saveVnfrDependency(command: SaveVnfrDependencyCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const written = await writeDependencyFiles(dir.value, command.payload, context);
  if (!written.ok) return failure(written.reason);
  return { output: formatListing(listScripts(dir.value)), err: '', status: 0 };
}
