// A small VNFM written with the SDK for the test kit's tests: it runs one script per lifecycle step on
// every VNFC through the real EMS agents, with the dependency parameters flattened into the environment.
import { allVnfcs } from '@vnfkit/protocol';
import type { VNFCInstance, VNFRecordDependency, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { EmsClient } from '../../src/ems/ems-client.js';
import type { Transport } from '@vnfkit/transport';
import {
  AbstractVnfm,
  type HealContext,
  type HookContext,
  type InstantiateContext,
  type ModifyContext,
  type ScaleInContext,
  type ScaleOutContext,
  type StartStopContext,
} from '../../src/vnfm.js';

type Vnfr = VirtualNetworkFunctionRecord;

export const SCRIPTS: Record<string, string> = {
  'step.sh': 'echo "$1 $hostname${peer:+ $peer}" >> "$SCRIPTS_PATH/steps.log"\n',
};

function dependencyEnv(dependency: VNFRecordDependency | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [type, params] of Object.entries(dependency?.vnfcParameters ?? {})) {
    for (const vnfc of Object.values(params.parameters ?? {}))
      for (const [k, v] of Object.entries(vnfc.parameters ?? {})) env[`${type}_${k}`] = v;
  }
  return env;
}

export class ScriptVnfm extends AbstractVnfm {
  ems: EmsClient | undefined;
  /** When set, INSTANTIATE never answers until {@link release} (a VNFM that hangs). */
  silent = false;
  private unblock: (() => void) | undefined;
  private readonly blocked = new Promise<void>((r) => (this.unblock = r));

  /** Lets a silent INSTANTIATE finish (so close() can drain). */
  release(): void {
    this.unblock?.();
  }

  protected override async onConnected(transport: Transport): Promise<void> {
    this.ems = new EmsClient({ transport, endpoint: this.options.endpoint, helloTimeoutMs: 20_000, commandTimeoutMs: 20_000 });
    await this.ems.start();
  }
  private async run(vnfcs: VNFCInstance[], step: string, env: Record<string, string> = {}): Promise<void> {
    await Promise.all(
      vnfcs.map(async (c) => {
        const host = c.hostname ?? '';
        await this.ems?.waitForAgent(host);
        await this.ems?.execute(host, { payload: `step.sh ${step}`, env: { hostname: host, ...env } });
      }),
    );
  }
  protected override async instantiate({ vnfr, scripts }: InstantiateContext): Promise<Vnfr> {
    if (this.silent) await this.blocked;
    for (const c of allVnfcs(vnfr)) {
      await this.ems?.waitForAgent(c.hostname ?? '');
      for (const s of scripts)
        await this.ems?.saveScript(c.hostname ?? '', { name: s.name, content: Uint8Array.from(s.payload ?? [], (b) => b & 0xff) });
    }
    await this.run(allVnfcs(vnfr), 'instantiate');
    return vnfr;
  }
  protected override async modify({ vnfr, dependency }: ModifyContext): Promise<Vnfr> {
    const env = dependencyEnv(dependency);
    await this.run(allVnfcs(vnfr), 'configure', { peer: Object.values(env).join(',') });
    return vnfr;
  }
  protected override async start({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    await this.run(vnfcInstance ? [vnfcInstance] : allVnfcs(vnfr), 'start');
    return vnfr;
  }
  protected override async stop({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    await this.run(vnfcInstance ? [vnfcInstance] : allVnfcs(vnfr), 'stop');
    return vnfr;
  }
  protected override async scaleOut({ vnfr, vnfcInstance, vnfPackage }: ScaleOutContext): Promise<Vnfr> {
    const host = vnfcInstance.hostname ?? '';
    await this.ems?.waitForAgent(host);
    for (const s of vnfPackage?.scripts ?? [])
      await this.ems?.saveScript(host, { name: s.name, content: Uint8Array.from(s.payload ?? [], (b) => b & 0xff) });
    await this.run([vnfcInstance], 'instantiate');
    await this.run([vnfcInstance], 'start');
    return vnfr;
  }
  protected override async scaleIn({ vnfr, vnfcInstance }: ScaleInContext): Promise<void> {
    await this.run(allVnfcs(vnfr), 'scale_in', { peer: vnfcInstance?.hostname ?? '' });
  }
  protected override async heal({ vnfr, vnfcInstance, cause }: HealContext): Promise<Vnfr> {
    await this.run(vnfcInstance ? [vnfcInstance] : [], 'heal', { peer: cause ?? '' });
    return vnfr;
  }
  protected override async terminate({ vnfr }: HookContext): Promise<Vnfr> {
    await this.run(allVnfcs(vnfr), 'terminate');
    return vnfr;
  }
}
