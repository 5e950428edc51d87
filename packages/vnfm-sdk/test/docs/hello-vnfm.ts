// The complete custom VNFM shown in docs/writing-a-vnfm.md (kept in sync by test/docs/docs-in-sync.test.ts).
import { readFile } from 'node:fs/promises';
import { USER_DATA_TEMPLATE_PATH, fillUserDataTemplate } from '@vnfkit/ems-agent';
import { payloadToBytes, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import {
  AbstractVnfm,
  EmsClient,
  allVnfcs,
  type InstantiateContext,
  type StartStopContext,
  type Transport,
  type UserDataContext,
} from '@vnfkit/vnfm-sdk';
import { pino } from 'pino';

/** Installs and starts a service on every VM of the VNFR through its EMS agent. */
export class HelloVnfm extends AbstractVnfm {
  ems: EmsClient | undefined;
  private template = '';

  // Called once the per-VNFM broker connection is up: start listening for agent hellos.
  protected override async onConnected(transport: Transport): Promise<void> {
    this.template = await readFile(USER_DATA_TEMPLATE_PATH, 'utf8');
    this.ems = new EmsClient({ transport, endpoint: this.options.endpoint, helloTimeoutMs: 60_000 });
    await this.ems.start();
  }

  // Cloud-init user data of every VM (sent with ALLOCATE_RESOURCES): installs the vnfkit agent and points it
  // at the broker the NFVO names, on `ems.<endpoint>.register`.
  protected override userData({ extension }: UserDataContext): string {
    return fillUserDataTemplate(this.template, {
      BROKER_IP: extension['brokerIp'] ?? 'localhost',
      BROKER_PORT: extension['brokerPort'] ?? 5672,
      USERNAME: process.env['EMS_USERNAME'] ?? 'admin',
      PASSWORD: process.env['EMS_PASSWORD'] ?? 'openbaton',
      TYPE: this.options.endpoint,
    });
  }

  // After the SDK ran GRANT_OPERATION and ALLOCATE_RESOURCES: the VMs exist, ids are assigned.
  protected override async instantiate({ vnfr, scripts, logger }: InstantiateContext): Promise<VirtualNetworkFunctionRecord> {
    for (const vnfc of allVnfcs(vnfr)) {
      const host = vnfc.hostname ?? '';
      await this.ems?.waitForAgent(host);
      for (const s of scripts) await this.ems?.saveScript(host, { name: s.name, content: payloadToBytes(s.payload ?? []) });
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

// Run it: AMQP_URL=amqp://… VNFM_TYPE=hello node dist/hello-vnfm.js  (or: npx tsx hello-vnfm.ts)
if (/hello-vnfm\.[jt]s$/.test(process.argv[1] ?? '')) {
  // Logging is off unless a logger is given.
  const vnfm = new HelloVnfm({ logger: pino({ level: 'info' }) });
  await vnfm.connect();
  process.once('SIGTERM', () => void vnfm.close());
}
