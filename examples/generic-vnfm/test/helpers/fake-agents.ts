import type { EnvMap } from '../../src/env/index.js';
import type { AgentChannel, PackageFile } from '../../src/lifecycle/agent-channel.js';
import type { CommandReply } from '../../src/lifecycle/run-plan.js';

/** One command a fake agent received. */
export interface FakeCall {
  hostname: string;
  action: 'SAVE_SCRIPTS' | 'CLONE_SCRIPTS' | 'EXECUTE' | 'SCRIPTS_UPDATE' | 'SAVE_VNFR_DEPENDENCY';
  payload: string;
  env?: EnvMap | undefined;
  /** A bundled EXECUTE's dependency. */
  dependency?: string;
  /** The names of the package files a bundled EXECUTE carried, joined by `,`. */
  files?: string;
}

/** Decides the reply of a call; undefined means success. A thrown error means "no answer". */
export type FakeDecider = (call: FakeCall) => CommandReply | undefined;

/** An in-memory fleet of agents for unit tests of the lifecycle (no broker, no processes). */
export class FakeAgents implements AgentChannel {
  readonly calls: FakeCall[] = [];
  readonly forgotten: string[] = [];
  readonly files = new Map<string, Map<string, string>>();
  ready = new Set<string>();
  /** Hosts whose agent takes bundled commands (a vnfkit agent); the others behave as Open Baton's EMS. */
  bundling = new Set<string>();
  /** Hosts whose agent also takes package files within an EXECUTE (hello `bundles: 'v2'`). */
  filesWithExecute = new Set<string>();
  decide: FakeDecider = () => undefined;

  constructor(ready: Iterable<string> = []) {
    this.ready = new Set(ready);
  }

  async waitForAgent(hostname: string): Promise<void> {
    await Promise.resolve();
    if (!this.ready.has(hostname)) throw new Error(`timed out waiting for the hello of ${hostname}`);
  }

  acceptsBundles(hostname: string): boolean {
    return this.bundling.has(hostname);
  }

  acceptsFilesWithExecute(hostname: string): boolean {
    return this.filesWithExecute.has(hostname);
  }

  /** A bundled SAVE_SCRIPTS: one call, its payload the file names joined by `,`. */
  saveScripts(hostname: string, files: readonly PackageFile[]): Promise<CommandReply> {
    if (!this.bundling.has(hostname)) throw new Error(`bundled SAVE_SCRIPTS sent to ${hostname}, whose agent does not take bundles`);
    for (const file of files) this.#store(hostname, file);
    return this.#call({ hostname, action: 'SAVE_SCRIPTS', payload: files.map((f) => f.name).join(',') });
  }

  saveScript(hostname: string, file: PackageFile): Promise<CommandReply> {
    this.#store(hostname, file);
    return this.#call({ hostname, action: 'SAVE_SCRIPTS', payload: file.name });
  }

  cloneScripts(hostname: string, url: string): Promise<CommandReply> {
    return this.#call({ hostname, action: 'CLONE_SCRIPTS', payload: url });
  }

  execute(
    hostname: string,
    script: string,
    options: { env?: EnvMap | undefined; dependency?: string | undefined; files?: readonly PackageFile[] | undefined } = {},
  ): Promise<CommandReply> {
    const { env, dependency, files } = options;
    if (dependency !== undefined && !this.bundling.has(hostname))
      throw new Error(`EXECUTE with a dependency sent to ${hostname}, whose agent does not take bundles`);
    if (files !== undefined && !this.filesWithExecute.has(hostname))
      throw new Error(`EXECUTE with files sent to ${hostname}, whose agent does not take them`);
    for (const file of files ?? []) this.#store(hostname, file);
    return this.#call({
      hostname,
      action: 'EXECUTE',
      payload: script,
      env,
      ...(dependency !== undefined ? { dependency } : {}),
      ...(files !== undefined ? { files: files.map((f) => f.name).join(',') } : {}),
    });
  }

  updateScript(hostname: string, file: PackageFile): Promise<CommandReply> {
    this.#store(hostname, file);
    return this.#call({ hostname, action: 'SCRIPTS_UPDATE', payload: file.name });
  }

  saveVnfrDependency(hostname: string, payload: string): Promise<CommandReply> {
    return this.#call({ hostname, action: 'SAVE_VNFR_DEPENDENCY', payload });
  }

  forgetAgent(hostname: string): void {
    this.forgotten.push(hostname);
  }

  /** The calls of one action, as `hostname:payload`. */
  of(action: FakeCall['action']): string[] {
    return this.calls.filter((c) => c.action === action).map((c) => `${c.hostname}:${c.payload}`);
  }

  #store(hostname: string, file: PackageFile): void {
    const files = this.files.get(hostname) ?? new Map<string, string>();
    files.set(file.name, Buffer.from(file.content).toString('utf8'));
    this.files.set(hostname, files);
  }

  async #call(call: FakeCall): Promise<CommandReply> {
    this.calls.push(call);
    await new Promise((resolve) => setImmediate(resolve));
    return this.decide(call) ?? { output: `${call.payload} ok on ${call.hostname}`, err: '', status: 0 };
  }
}
