import type { SaveScriptsCommand, ScriptsUpdateCommand } from '@vnfkit/protocol';
import { decodeBase64Strict } from '../internal/base64.js';
import { checkStoreLimits, ensureScriptDir, formatListing, listScripts, scriptFilePath, writeFileAtomic } from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/**
 * Stores the command's file — and, bundled (`files`, vnfkit agents), its further files — in the script directory:
 * validates every name and the `script-path`, decodes each base64 payload strictly, checks `max_scripts`/
 * `max_scripts_bytes` for all of them together, writes each atomically with mode 0700 (root only) and replies with
 * the directory listing (`['a.sh', 'b.sh']`, Open Baton's format). Nothing is written when anything is refused.
 */
export async function storeScript(command: SaveScriptsCommand | ScriptsUpdateCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const sent = [{ name: command.name, payload: command.payload }, ...(command.action === 'SAVE_SCRIPTS' ? (command.files ?? []) : [])];
  const files: { name: string; path: string; bytes: Uint8Array }[] = [];
  for (const file of sent) {
    const path = scriptFilePath(dir.value, file.name);
    if (!path.ok) return failure(`${command.action} refused: ${path.reason}`);
    const decoded = decodeBase64Strict(file.payload);
    if (!decoded.ok) return failure(`${command.action} of ${JSON.stringify(file.name)} failed: ${decoded.reason}`);
    files.push({ name: file.name, path: path.value, bytes: decoded.bytes });
  }
  const limits = checkStoreLimits(
    { dir: dir.value, files: files.map((f) => ({ name: f.name, bytes: f.bytes.length })) },
    { maxScripts: context.config.max_scripts, maxScriptsBytes: context.config.max_scripts_bytes },
  );
  const shown = files.length === 1 ? JSON.stringify(command.name) : `${files.length} files`;
  if (!limits.ok) return failure(`${command.action} of ${shown} refused: ${limits.reason}`);
  ensureScriptDir(dir.value);
  for (const file of files) {
    writeFileAtomic(file.path, file.bytes);
    context.logger.info({ script: file.name, bytes: file.bytes.length, dir: dir.value }, 'script saved');
  }
  return { output: formatListing(listScripts(dir.value)), err: '', status: 0 };
}

/** `SAVE_SCRIPTS`: a package file (bundled: several) sent by the VNFM before any script runs. */
export function saveScripts(command: SaveScriptsCommand, context: CommandContext): Promise<CommandReply> {
  return storeScript(command, context);
}
