import type { EnvMap } from '../env/index.js';
import type { CommandReply } from './run-plan.js';

/** A file of a VNF package, as bytes. */
export interface PackageFile {
  name: string;
  content: Uint8Array;
}

/**
 * The agent commands the lifecycle needs, addressed by VNFC hostname. Every method resolves with
 * the agent's reply whatever its status (the lifecycle decides what a non-zero status means) and
 * rejects only when there is no reply (timeout, broker gone). The SDK's `EmsClient` is adapted
 * to this in `generic-vnfm.ts`; unit tests use an in-memory fake.
 */
export interface AgentChannel {
  /** Resolves once the agent of `hostname` said hello; rejects after the start timeout. */
  waitForAgent(hostname: string): Promise<void>;
  /**
   * True when the agent of `hostname` takes bundled commands (its hello said `bundles: 'v1'`): {@link saveScripts},
   * and `execute` with a `dependency`. Open Baton's EMS (and an agent not heard from since a restart) does not.
   */
  acceptsBundles(hostname: string): boolean;
  /** True when the agent of `hostname` takes package files within an EXECUTE (its hello said `bundles: 'v2'`). */
  acceptsFilesWithExecute(hostname: string): boolean;
  /** `SAVE_SCRIPTS` of one package file. */
  saveScript(hostname: string, file: PackageFile): Promise<CommandReply>;
  /** One bundled `SAVE_SCRIPTS` of several package files (only to an agent that {@link acceptsBundles}). */
  saveScripts(hostname: string, files: readonly PackageFile[]): Promise<CommandReply>;
  /** `CLONE_SCRIPTS` of a git repository into the script directory. */
  cloneScripts(hostname: string, url: string): Promise<CommandReply>;
  /**
   * `EXECUTE` of a script string; without `env` it sends none (ad-hoc scripts). `files` (only to an agent that
   * {@link acceptsFilesWithExecute}, at most one bundle) and then `dependency` (a `SAVE_VNFR_DEPENDENCY` payload, only
   * to an agent that {@link acceptsBundles}) are saved before the script runs.
   */
  execute(
    hostname: string,
    script: string,
    options?: { env?: EnvMap | undefined; dependency?: string | undefined; files?: readonly PackageFile[] | undefined },
  ): Promise<CommandReply>;
  /** `SCRIPTS_UPDATE` of one file. */
  updateScript(hostname: string, file: PackageFile): Promise<CommandReply>;
  /** `SAVE_VNFR_DEPENDENCY` with the dependency as a JSON string. */
  saveVnfrDependency(hostname: string, payload: string): Promise<CommandReply>;
  /** Forgets what is known about an agent (after terminate). */
  forgetAgent(hostname: string): void;
}
