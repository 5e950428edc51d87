// Simulator flows beyond the main deployment: ordered START, HEAL switchToStandby, EXECUTE.
// In-process agents on the memory transport (the scripts still run as real processes).
import { allVnfcs } from '@vnfkit/protocol';
import type { NetworkServiceDescriptor, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { afterEach, expect, it } from 'vitest';
import { InProcessVim, NfvoSimulator, type MessageEvent } from '../../src/testing/index.js';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';
import type { HealContext } from '../../src/vnfm.js';
import { SCRIPTS, ScriptVnfm } from './script-vnfm.js';

/** Switches to the standby VNFC on `switchToStandby`, as the Generic VNFM does. */
class StandbyVnfm extends ScriptVnfm {
  protected override async heal(ctx: HealContext): Promise<VirtualNetworkFunctionRecord> {
    if (ctx.cause === 'switchToStandby') {
      const standby = allVnfcs(ctx.vnfr).find((c) => c.id === ctx.vnfcInstance?.id);
      if (standby) standby.state = 'ACTIVE';
      return ctx.vnfr;
    }
    return super.heal(ctx);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

async function setup(options: { startOrdered?: boolean } = {}) {
  const broker = new MemoryBroker();
  const vim = new InProcessVim(async () => createMemoryTransport(broker));
  const sim = await NfvoSimulator.create({ transport: createMemoryTransport(broker), vim, brokerUrl: 'amqp://in-process', ...options });
  const vnfm = new StandbyVnfm({ type: 'flows', transportFactory: async () => createMemoryTransport(broker) });
  await vnfm.connect();
  cleanups.push(
    () => vim.close(),
    () => sim.close(),
    () => vnfm.close(),
  );
  const messages: MessageEvent[] = [];
  sim.on('message', (m) => messages.push(m));
  return { sim, messages };
}

const nsd: NetworkServiceDescriptor = {
  name: 'ns',
  vnfd: [
    {
      name: 'srv',
      type: 'server',
      endpoint: 'flows',
      vdu: [{ name: 'v', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
    {
      name: 'cli',
      type: 'client',
      endpoint: 'flows',
      vdu: [{ name: 'v', vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
  ],
  vnf_dependency: [{ source: { name: 'srv' }, target: { name: 'cli' }, parameters: ['private'] }],
};
const packages = { srv: { scripts: SCRIPTS }, cli: { scripts: SCRIPTS } };
const startsOf = (messages: MessageEvent[]) =>
  messages
    .filter((m) => m.direction === 'to-vnfm' && m.action === 'START')
    .map((m) => (m.body as { virtualNetworkFunctionRecord: { name: string } }).virtualNetworkFunctionRecord.name);

it('startOrdered: START only once every VNFR is INACTIVE, sources before targets', async () => {
  const { sim, messages } = await setup({ startOrdered: true });
  const nsrId = await sim.deploy(nsd, { packages });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  expect(startsOf(messages)).toEqual(['srv', 'cli']);
  const firstStart = messages.findIndex((m) => m.action === 'START');
  const modifyReply = messages.findIndex((m) => m.direction === 'from-vnfm' && m.action === 'MODIFY');
  expect(modifyReply).toBeGreaterThan(-1);
  expect(firstStart).toBeGreaterThan(modifyReply);
});

it('HEAL switchToStandby: the failed VNFC is FAILED, the standby one healed, targets re-configured with it', async () => {
  const { sim, messages } = await setup();
  const nsrId = await sim.deploy(nsd, { packages });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  await sim.scaleOut(nsrId, 'srv', { mode: 'standby' });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  const standby = allVnfcs(sim.vnfr(nsrId, 'srv')).find((c) => c.hostname === 'srv-2');
  expect(standby?.state).toBe('STANDBY');

  const before = messages.length;
  await sim.heal(nsrId, 'srv', { hostname: 'srv-1', cause: 'switchToStandby' });
  const heal = messages.slice(before).find((m) => m.direction === 'to-vnfm' && m.action === 'HEAL')?.body as {
    vnfcInstance: { hostname: string };
    cause: string;
  };
  expect(heal).toMatchObject({ cause: 'switchToStandby', vnfcInstance: { hostname: 'srv-2' } });
  const vnfcs = allVnfcs(sim.vnfr(nsrId, 'srv'));
  expect(vnfcs.find((c) => c.hostname === 'srv-1')?.state).toBe('FAILED');
  expect(vnfcs.find((c) => c.hostname === 'srv-2')?.state).toBe('ACTIVE');
  const modify = messages.slice(before).find((m) => m.direction === 'to-vnfm' && m.action === 'MODIFY')?.body as {
    vnfrd: { vnfcParameters: { server: { parameters: Record<string, unknown> } } };
  };
  expect(Object.keys(modify.vnfrd.vnfcParameters.server.parameters)).toEqual([standby?.id]);
});

it('EXECUTE sends the script as signed bytes with the vnfr and gets the VNFM answer', async () => {
  const { sim, messages } = await setup();
  const nsrId = await sim.deploy(nsd, { packages });
  await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
  await sim.execute(nsrId, 'srv', { name: 'adhoc.sh', content: 'echo é\n' });
  const sent = messages.find((m) => m.direction === 'to-vnfm' && m.action === 'EXECUTE')?.body as {
    script: { name: string; payload: number[] };
    vnfr: { name: string };
  };
  expect(sent.vnfr.name).toBe('srv');
  expect(sent.script.name).toBe('adhoc.sh');
  expect(sent.script.payload.some((b) => b < 0)).toBe(true); // é is two bytes ≥ 128: Gson writes them negative
  expect(messages.some((m) => m.direction === 'from-vnfm' && m.action === 'EXECUTE')).toBe(true);
  expect(sim.nsStatus(nsrId)).toBe('ACTIVE');
});
