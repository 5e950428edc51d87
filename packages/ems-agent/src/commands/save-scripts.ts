import type { SaveScriptsCommand, ScriptsUpdateCommand } from '@vnfkit/protocol';
import { decodeBase64Strict } from '../internal/base64.js';
import { ensureScriptDir, formatListing, listScripts, scriptFilePath, writeFileAtomic } from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/**
 * Stores one file in the script directory: validates the name and the `script-path`, decodes the
 * base64 payload strictly, writes atomically with mode 0755 and replies with the directory listing
 * (`['a.sh', 'b.sh']`, Open Baton's format). Nothing is written when anything is refused.
 */
export async function storeScript(command: SaveScriptsCommand | ScriptsUpdateCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const path = scriptFilePath(dir.value, command.name);
  if (!path.ok) return failure(`${command.action} refused: ${path.reason}`);
  const decoded = decodeBase64Strict(command.payload);
  if (!decoded.ok) return failure(`${command.action} of ${JSON.stringify(command.name)} failed: ${decoded.reason}`);
  ensureScriptDir(dir.value);
  writeFileAtomic(path.value, decoded.bytes);
  context.logger.info({ script: command.name, bytes: decoded.bytes.length, dir: dir.value }, 'script saved');
  return { output: formatListing(listScripts(dir.value)), err: '', status: 0 };
}

/** `SAVE_SCRIPTS`: a package file sent by the VNFM before any script runs. */
export function saveScripts(command: SaveScriptsCommand, context: CommandContext): Promise<CommandReply> {
  return storeScript(command, context);
}
