import type { ScriptsUpdateCommand } from '@vnfkit/protocol';
import type { CommandContext, CommandReply } from './context.js';
import { storeScript } from './save-scripts.js';

/**
 * `SCRIPTS_UPDATE`: a package script edited on the NFVO replaces the stored one. Unlike Open
 * Baton's EMS (hard-coded `/opt/openbaton/scripts`, mode kept), it uses the same directory
 * policy and limits as `SAVE_SCRIPTS` and writes mode 0700.
 */
export function scriptsUpdate(command: ScriptsUpdateCommand, context: CommandContext): Promise<CommandReply> {
  return storeScript(command, context);
}
