import type { CloneScriptsCommand } from '@vnfkit/protocol';
import { cloneInto } from '../scripts/git-clone.js';
import { formatListing, listScripts } from '../scripts/script-store.js';
import type { CommandContext, CommandReply } from './context.js';
import { commandScriptDir, failure } from './context.js';

/**
 * `CLONE_SCRIPTS`: clones the package's `scripts-link` repository so that its root becomes the
 * script directory (an existing directory is replaced); replies with the listing.
 */
export async function cloneScripts(command: CloneScriptsCommand, context: CommandContext): Promise<CommandReply> {
  const dir = commandScriptDir(command['script-path'], context);
  if (!dir.ok) return failure(dir.reason);
  const url = command.payload.trim();
  const result = await cloneInto({
    url,
    dir: dir.value,
    timeoutMs: context.config.git_timeout * 1000,
    allowedProtocols: context.config.allow_git_protocols,
    env: context.baseEnv,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  if (result.status !== 0) return failure(`CLONE_SCRIPTS refused or failed: ${result.err}`, result.status);
  context.logger.info({ dir: dir.value }, 'scripts cloned');
  return { output: formatListing(listScripts(dir.value)), err: result.err, status: 0 };
}
