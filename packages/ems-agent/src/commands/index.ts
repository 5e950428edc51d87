import type { EmsCommand } from '@vnfkit/protocol';
import { cloneScripts } from './clone-scripts.js';
import type { CommandContext, CommandReply } from './context.js';
import { execute } from './execute.js';
import { saveScripts } from './save-scripts.js';
import { saveVnfrDependency } from './save-vnfr-dependency.js';
import { scriptsUpdate } from './scripts-update.js';

export type { CommandContext, CommandReply } from './context.js';
export { failure } from './context.js';

/** Runs one decoded command and returns its reply (failures of the command itself are replies, not throws). */
export function runCommand(command: EmsCommand, context: CommandContext): Promise<CommandReply> {
  switch (command.action) {
    case 'SAVE_SCRIPTS':
      return saveScripts(command, context);
    case 'SCRIPTS_UPDATE':
      return scriptsUpdate(command, context);
    case 'CLONE_SCRIPTS':
      return cloneScripts(command, context);
    case 'EXECUTE':
      return execute(command, context);
    case 'SAVE_VNFR_DEPENDENCY':
      return saveVnfrDependency(command, context);
  }
}
