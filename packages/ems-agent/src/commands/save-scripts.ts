import type { SaveScriptsCommand, ScriptFile, ScriptsUpdateCommand } from '@vnfkit/protocol';
import { decodeBase64Strict } from '../internal/base64.js';
import {
  checkStoreLimits,
  ensureScriptDir,
  formatListing,
  listScripts,
  scriptFilePath,
  writeFileAtomic,
  type Checked,
} from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/**
 * Stores the command's file — and, bundled (`files`, vnfkit agents), its further files — in the script directory
 * ({@link saveFiles}) and replies with the directory listing (`['a.sh', 'b.sh']`, Open Baton's format).
 */
export async function storeScript(command: SaveScriptsCommand | ScriptsUpdateCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const sent = [{ name: command.name, payload: command.payload }, ...(command.action === 'SAVE_SCRIPTS' ? (command.files ?? []) : [])];
  const saved = saveFiles({ dir: dir.value, files: sent, action: command.action }, context);
  if (!saved.ok) return failure(saved.reason);
  return { output: formatListing(listScripts(dir.value)), err: '', status: 0 };
}

/**
 * Saves package files into `dir`: validates every name, decodes each base64 payload strictly, checks `max_scripts`/
 * `max_scripts_bytes` for all of them together and writes each atomically with mode 0700 (root only). Nothing is
 * written when anything is refused. Also the `files` of a bundled EXECUTE.
 */
export function saveFiles(input: { dir: string; files: readonly ScriptFile[]; action: string }, context: CommandContext): Checked<void> {
  const { dir, action } = input;
  const files: { name: string; path: string; bytes: Uint8Array }[] = [];
  for (const file of input.files) {
    const path = scriptFilePath(dir, file.name);
    if (!path.ok) return { ok: false, reason: `${action} refused: ${path.reason}` };
    const decoded = decodeBase64Strict(file.payload);
    if (!decoded.ok) return { ok: false, reason: `${action} of ${JSON.stringify(file.name)} failed: ${decoded.reason}` };
    files.push({ name: file.name, path: path.value, bytes: decoded.bytes });
  }
  const limits = checkStoreLimits(
    { dir, files: files.map((f) => ({ name: f.name, bytes: f.bytes.length })) },
    { maxScripts: context.config.max_scripts, maxScriptsBytes: context.config.max_scripts_bytes },
  );
  const shown = files.length === 1 ? JSON.stringify(files[0]?.name) : `${files.length} files`;
  if (!limits.ok) return { ok: false, reason: `${action} of ${shown} refused: ${limits.reason}` };
  ensureScriptDir(dir);
  for (const file of files) {
    writeFileAtomic(file.path, file.bytes);
    context.logger.info({ script: file.name, bytes: file.bytes.length, dir }, 'script saved');
  }
  return { ok: true, value: undefined };
}

/** `SAVE_SCRIPTS`: a package file (bundled: several) sent by the VNFM before any script runs. */
export function saveScripts(command: SaveScriptsCommand, context: CommandContext): Promise<CommandReply> {
  return storeScript(command, context);
}
