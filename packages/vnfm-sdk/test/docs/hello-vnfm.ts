// The complete custom VNFM shown in docs/writing-a-vnfm.md (kept in sync by test/docs/hello-vnfm.test.ts).
import { AbstractVnfm, EmsClient, allVnfcs, type InstantiateContext, type StartStopContext, type Transport } from '@vnfkit/vnfm-sdk';
import type { VirtualNetworkFunctionRecord } from '@vnfkit/protocol';

/** Installs and starts a service on every VM of the VNFR through its EMS agent. */
export class HelloVnfm extends AbstractVnfm {
  ems: EmsClient | undefined;

  // Called once the per-VNFM broker connection is up: start listening for agent hellos.
  protected override async onConnected(transport: Transport): Promise<void> {
    this.ems = new EmsClient({ transport, endpoint: this.options.endpoint, helloTimeoutMs: 60_000 });
    await this.ems.start();
  }

  // After the SDK ran GRANT_OPERATION and ALLOCATE_RESOURCES: the VMs exist, ids are assigned.
  protected override async instantiate({ vnfr, scripts, logger }: InstantiateContext): Promise<VirtualNetworkFunctionRecord> {
    for (const vnfc of allVnfcs(vnfr)) {
      const host = vnfc.hostname ?? '';
      await this.ems?.waitForAgent(host);
      for (const s of scripts) await this.ems?.saveScript(host, { name: s.name, content: Uint8Array.from(s.payload ?? [], (b) => b & 0xff) });
      logger.info({ host }, 'scripts saved');
    }
    // Publish what dependants need (the NFVO copies provides into their dependency parameters).
    for (const p of vnfr.provides?.configurationParameters ?? []) p.value = 'ready';
    return vnfr;
  }

  // START of the whole VNFR, or of the one VNFC the NFVO names.
  protected override async start({ vnfr, vnfcInstance }: StartStopContext): Promise<VirtualNetworkFunctionRecord> {
    const targets = vnfcInstance ? [vnfcInstance] : allVnfcs(vnfr);
    for (const vnfc of targets) {
      await this.ems?.execute(vnfc.hostname ?? '', { payload: 'start.sh', env: { hostname: vnfc.hostname ?? '' } });
    }
    return vnfr;
  }

  override async close(): Promise<void> {
    await this.ems?.stop();
    await super.close();
  }
}

// Run it: AMQP_URL=amqp://… VNFM_TYPE=hello node hello-vnfm.js
if (process.argv[1]?.endsWith('hello-vnfm.js')) {
  const vnfm = new HelloVnfm({});
  await vnfm.connect();
  process.once('SIGTERM', () => void vnfm.close());
}
