import type { SaveScriptsCommand, ScriptsUpdateCommand } from '@vnfkit/protocol';
import { decodeBase64Strict } from '../internal/base64.js';
import { checkStoreLimits, ensureScriptDir, formatListing, listScripts, scriptFilePath, writeFileAtomic } from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/**
 * Stores one file in the script directory: validates the name and the `script-path`, decodes the
 * base64 payload strictly, checks `max_scripts`/`max_scripts_bytes`, writes atomically with mode 0700
 * (root only) and replies with the directory listing (`['a.sh', 'b.sh']`, Open Baton's format).
 * Nothing is written when anything is refused.
 */
export async function storeScript(command: SaveScriptsCommand | ScriptsUpdateCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const path = scriptFilePath(dir.value, command.name);
  if (!path.ok) return failure(`${command.action} refused: ${path.reason}`);
  const decoded = decodeBase64Strict(command.payload);
  if (!decoded.ok) return failure(`${command.action} of ${JSON.stringify(command.name)} failed: ${decoded.reason}`);
  const limits = checkStoreLimits(
    { dir: dir.value, name: command.name, bytes: decoded.bytes.length },
    {
      maxScripts: context.config.max_scripts,
      maxScriptsBytes: context.config.max_scripts_bytes,
    },
  );
  if (!limits.ok) return failure(`${command.action} of ${JSON.stringify(command.name)} refused: ${limits.reason}`);
  ensureScriptDir(dir.value);
  writeFileAtomic(path.value, decoded.bytes);
  context.logger.info({ script: command.name, bytes: decoded.bytes.length, dir: dir.value }, 'script saved');
  return { output: formatListing(listScripts(dir.value)), err: '', status: 0 };
}

/** `SAVE_SCRIPTS`: a package file sent by the VNFM before any script runs. */
export function saveScripts(command: SaveScriptsCommand, context: CommandContext): Promise<CommandReply> {
  return storeScript(command, context);
}
