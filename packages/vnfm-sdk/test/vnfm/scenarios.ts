// The VNFM scenarios of the SDK issue, run on the memory transport (unit) and on RabbitMQ (integration).
import { allVnfcs } from '@vnfkit/protocol';
import type { VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { expect, it, vi } from 'vitest';
import type { Transport } from '@vnfkit/transport';
import {
  AbstractVnfm,
  type HealContext,
  type InstantiateContext,
  type ModifyContext,
  type ResumeContext,
  type ResumeResult,
  type ScaleOutContext,
  type StartStopContext,
  type ValidateInstantiateContext,
} from '../../src/vnfm.js';
import { OperationJournal } from '../../src/journal/operation-journal.js';
import { NfvoPeer } from '../helpers/nfvo-peer.js';

type Vnfr = VirtualNetworkFunctionRecord;

export class TestVnfm extends AbstractVnfm {
  readonly calls: string[] = [];
  failNext: string | undefined;
  /** When set, `validateInstantiate` refuses every INSTANTIATE with this message. */
  refuseInstantiate: string | undefined;
  /** What `validateInstantiate` saw: VNFR name and restart flag. */
  readonly validated: string[] = [];
  protected override validateInstantiate({ vnfr, restart }: ValidateInstantiateContext): void {
    this.validated.push(`${vnfr.name ?? ''}${restart ? ' (restart)' : ''}`);
    if (this.refuseInstantiate !== undefined) throw new Error(this.refuseInstantiate);
  }
  private check(name: string): void {
    this.calls.push(name);
    if (this.failNext === name) {
      this.failNext = undefined;
      throw new Error(`hook ${name} failed on purpose`);
    }
  }
  protected override async instantiate({ vnfr, restart }: InstantiateContext): Promise<Vnfr> {
    this.check(restart ? 'instantiate(restart)' : 'instantiate');
    for (const p of vnfr.provides?.configurationParameters ?? []) p.value = 'provided';
    return vnfr;
  }
  protected override async modify({ vnfr, dependency }: ModifyContext): Promise<Vnfr> {
    this.check(`modify:${dependency?.target ?? ''}`);
    return vnfr;
  }
  protected override async start({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    this.check(`start:${vnfcInstance?.hostname ?? 'all'}`);
    return vnfr;
  }
  protected override async stop({ vnfr, vnfcInstance }: StartStopContext): Promise<Vnfr> {
    this.check(`stop:${vnfcInstance?.hostname ?? 'all'}`);
    return vnfr;
  }
  protected override async scaleOut({ vnfr, vnfcInstance, mode }: ScaleOutContext): Promise<Vnfr> {
    this.check(`scaleOut:${vnfcInstance.hostname ?? ''}:${mode ?? ''}:${vnfcInstance.state ?? ''}`);
    return vnfr;
  }
  protected override async heal({ vnfr, cause }: HealContext): Promise<Vnfr> {
    this.check(`heal:${cause ?? ''}`);
    return vnfr;
  }
  protected override async resume({ vnfr }: ResumeContext): Promise<ResumeResult> {
    this.check('resume');
    return { action: 'INSTANTIATE', vnfr };
  }
}

export interface ScenarioEnv {
  /** Transport the NFVO peer uses. */
  nfvoTransport: () => Promise<Transport>;
  /** Transport factory for the VNFM. */
  vnfmTransport: () => Promise<Transport>;
  /** Unique VNFM type. */
  type: () => string;
  cleanup: (fn: () => Promise<void>) => void;
  /** Drops the VNFM's broker connections (forced link loss). */
  dropVnfmConnections?: (type: string) => void;
}

const vnfd = (type: string) => ({
  id: 'vnfd-1',
  name: 'iperf-server',
  type: 'server',
  endpoint: type,
  vendor: 'fokus',
  version: '0.1',
  vnfPackageLocation: 'pkg-1',
  provides: ['server_port'],
  requires: {},
  configurations: { name: 'conf', configurationParameters: [{ confKey: 'port', value: '5001' }] },
  lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
  vdu: [
    {
      id: 'vnfd-vdu-1',
      name: 'vdu',
      vm_image: ['img'],
      scale_in_out: 3,
      vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }],
      vnfc_instance: [],
    },
  ],
});

export function vnfmScenarios(env: ScenarioEnv): void {
  async function setup(options: { maxCommandBytes?: number } = {}): Promise<{ peer: NfvoPeer; vnfm: TestVnfm; type: string }> {
    const type = env.type();
    const peer = new NfvoPeer(await env.nfvoTransport());
    await peer.start();
    const vnfm = new TestVnfm({
      type,
      transportFactory: () => env.vnfmTransport(),
      grantTimeoutMs: 2_000,
      allocateTimeoutMs: 2_000,
      ...options,
    });
    env.cleanup(() => vnfm.close());
    await vnfm.connect();
    return { peer, vnfm, type };
  }
  const instantiate = (type: string) => ({
    action: 'INSTANTIATE',
    vnfd: vnfd(type),
    vnfdf: { flavour_key: 'm1.small' },
    extension: { 'nsr-id': 'nsr-1', brokerIp: '127.0.0.1' },
    vimInstances: { 'vnfd-vdu-1': [{ name: 'vim-1', type: 'test', id: 'vim-id' }] },
    keys: [],
    vlrs: [{ name: 'private', extId: 'net-1' }],
  });

  it('registers, then instantiates through GRANT_OPERATION and ALLOCATE_RESOURCES, continuing with the NFVO records', async () => {
    const { peer, vnfm, type } = await setup();
    expect(peer.registrations).toEqual([`register:${type}`]);
    const reply = await peer.command(type, instantiate(type));
    expect(reply?.['action']).toBe('INSTANTIATE');
    const [grant, allocate] = peer.requests;
    expect(grant?.action).toBe('GRANT_OPERATION');
    const built = (grant as { virtualNetworkFunctionRecord: Vnfr }).virtualNetworkFunctionRecord;
    expect(built.id).toBeUndefined();
    expect(built.parent_ns_id).toBe('nsr-1');
    expect(built.vdu?.[0]?.parent_vdu).toBe('vnfd-vdu-1');
    expect(built.vdu?.[0]?.vimInstanceName).toEqual(['vim-1']);
    expect(allocate).toMatchObject({ action: 'ALLOCATE_RESOURCES', keyPairs: [] });
    const allocated = (allocate as { virtualNetworkFunctionRecord: Vnfr }).virtualNetworkFunctionRecord;
    expect(allocated.id).toBeDefined(); // the granted record, ids echoed
    const final = reply?.['virtualNetworkFunctionRecord'] as Vnfr;
    expect(final.hbVersion).toBe(allocated.hbVersion! + 1); // the record ALLOCATE returned
    expect(allVnfcs(final)).toHaveLength(1);
    expect(final.provides?.configurationParameters?.[0]?.value).toBe('provided');
    expect(vnfm.calls).toEqual(['instantiate']);
    // Persistent both ways, as Spring AMQP sends by default (a Java VNFM, the NFVO's listeners).
    expect(peer.persistent).toEqual({ requests: [true, true], replies: [true] });
  });

  it('answers MODIFY, START/STOP (whole and one VNFC), RELEASE_RESOURCES, HEAL (without cause, as the Java SDK), SCALE_IN (null) and LOG_REQUEST', async () => {
    const { peer, vnfm, type } = await setup();
    const vnfr = (await peer.command(type, instantiate(type)))?.['virtualNetworkFunctionRecord'] as Vnfr;
    const vnfc = allVnfcs(vnfr)[0]!;
    expect((await peer.command(type, { action: 'MODIFY', vnfr, vnfrd: { target: 'iperf-server' } }))?.['action']).toBe('MODIFY');
    expect((await peer.command(type, { action: 'START', virtualNetworkFunctionRecord: vnfr }))?.['action']).toBe('START');
    const stopOne = await peer.command(type, { action: 'STOP', virtualNetworkFunctionRecord: vnfr, vnfcInstance: vnfc });
    expect(stopOne).toMatchObject({ action: 'STOP', vnfcInstance: { hostname: vnfc.hostname } });
    const healed = await peer.command(type, {
      action: 'HEAL',
      virtualNetworkFunctionRecord: vnfr,
      vnfcInstance: vnfc,
      cause: 'serviceDown',
    });
    expect(healed).toMatchObject({ action: 'HEAL', vnfcInstance: { id: vnfc.id } });
    // The hook saw the cause; the reply does not carry it (HealTask would end the heal on any cause but switchToStandby).
    expect(healed).not.toHaveProperty('cause');
    expect(await peer.command(type, { action: 'SCALE_IN', virtualNetworkFunctionRecord: vnfr, vnfcInstance: vnfc })).toBeNull();
    expect(await peer.command(type, { action: 'ERROR', vnfr, message: 'task failed' })).toBeNull();
    const logs = await peer.command(type, { action: 'LOG_REQUEST', vnfrName: 'iperf-server', hostname: vnfc.hostname });
    expect(logs).toMatchObject({ action: 'LOG_REQUEST', outputLog: [] });
    expect((await peer.command(type, { action: 'RELEASE_RESOURCES', vnfr }))?.['action']).toBe('RELEASE_RESOURCES');
    expect(vnfm.calls).toEqual(['instantiate', 'modify:iperf-server', 'start:all', `stop:${vnfc.hostname}`, 'heal:serviceDown']);
  });

  it('scales out through SCALING and replies SCALED with the new VNFC (standby mode)', async () => {
    const { peer, vnfm, type } = await setup();
    const vnfr = (await peer.command(type, instantiate(type)))?.['virtualNetworkFunctionRecord'] as Vnfr;
    const component = { id: 'comp-new', hbVersion: 0, connection_point: [] };
    vnfr.vdu![0]!.vnfc!.push(component);
    const reply = await peer.command(type, {
      action: 'SCALE_OUT',
      virtualNetworkFunctionRecord: vnfr,
      component,
      mode: 'standby',
      extension: {},
    });
    expect(reply?.['action']).toBe('SCALED');
    expect((reply?.['vnfcInstance'] as { vnfComponent: { id: string }; state: string }).vnfComponent.id).toBe('comp-new');
    expect(peer.requests.at(-1)).toMatchObject({ action: 'SCALING' });
    expect(vnfm.calls.at(-1)).toMatch(/^scaleOut:iperf-server-\d+:standby:STANDBY$/);
  });

  it('replies with the resumed action on RESUME, and skips grant/allocate on a restart INSTANTIATE', async () => {
    const { peer, vnfm, type } = await setup();
    const vnfr = (await peer.command(type, instantiate(type)))?.['virtualNetworkFunctionRecord'] as Vnfr;
    expect((await peer.command(type, { action: 'RESUME', vnfr }))?.['action']).toBe('INSTANTIATE');
    const before = peer.requests.length;
    const restart = await peer.command(type, { ...instantiate(type), vnfr });
    expect(restart?.['action']).toBe('INSTANTIATE');
    expect(peer.requests.length).toBe(before);
    expect(vnfm.calls).toEqual(['instantiate', 'resume', 'instantiate(restart)']);
  });

  it('replies ERROR with detailMessage, the VNFR and nsrId when the grant is refused, the NFVO is silent, or a hook throws', async () => {
    const { peer, vnfm, type } = await setup();
    peer.behaviour = { refuseGrant: 'Not enough resources' };
    const refused = await peer.command(type, instantiate(type));
    expect(refused).toMatchObject({ action: 'ERROR', nsrId: 'nsr-1', virtualNetworkFunctionRecord: { name: 'iperf-server' } });
    expect((refused?.['exception'] as { detailMessage: string }).detailMessage).toContain('Not enough resources');

    peer.behaviour = { silentOnGrant: true };
    const silent = await peer.command(type, instantiate(type));
    expect((silent?.['exception'] as { detailMessage: string }).detailMessage).toMatch(
      /timed out after 2000 ms waiting for the NFVO's answer to GRANT_OPERATION/,
    );

    peer.behaviour = {};
    const vnfr = (await peer.command(type, instantiate(type)))?.['virtualNetworkFunctionRecord'] as Vnfr;
    vnfm.failNext = 'start:all';
    const failed = await peer.command(type, { action: 'START', virtualNetworkFunctionRecord: vnfr });
    expect(failed).toMatchObject({ action: 'ERROR', virtualNetworkFunctionRecord: { id: vnfr.id } });
    expect((failed?.['exception'] as { detailMessage: string }).detailMessage).toBe('hook start:all failed on purpose');
  });

  it('refuses an INSTANTIATE in validateInstantiate before GRANT_OPERATION: ERROR with the built VNFR, nothing asked of the NFVO', async () => {
    const { peer, vnfm, type } = await setup();
    vnfm.refuseInstantiate = 'VNFD iperf-server: configuration key "BASH_ENV" is refused';
    const refused = await peer.command(type, instantiate(type));
    expect(refused).toMatchObject({ action: 'ERROR', nsrId: 'nsr-1', virtualNetworkFunctionRecord: { name: 'iperf-server' } });
    expect((refused?.['exception'] as { detailMessage: string }).detailMessage).toBe(
      'VNFD iperf-server: configuration key "BASH_ENV" is refused',
    );
    expect(peer.requests).toEqual([]);
    expect(vnfm.calls).toEqual([]);
    vnfm.refuseInstantiate = undefined;
    expect((await peer.command(type, instantiate(type)))?.['action']).toBe('INSTANTIATE');
    expect(peer.requests.map((r) => r.action)).toEqual(['GRANT_OPERATION', 'ALLOCATE_RESOURCES']);
    expect(vnfm.validated).toEqual(['iperf-server', 'iperf-server']);
  });

  it('answers a malformed command with ERROR and keeps working', async () => {
    const { peer, type } = await setup();
    const t = peer.transport;
    const bad = await t.request(
      'openbaton-exchange',
      type,
      '{"action":"START","virtualNetworkFunctionRecord":{"name":"x","status":"BOGUS"}}',
      { timeoutMs: 5_000 },
    );
    const parsed = JSON.parse(bad.body.toString()) as {
      action: string;
      exception: { detailMessage: string };
      virtualNetworkFunctionRecord: { name: string };
    };
    expect(parsed.action).toBe('ERROR');
    expect(parsed.exception.detailMessage).toContain('virtualNetworkFunctionRecord.status');
    expect(parsed.virtualNetworkFunctionRecord.name).toBe('x');
    const notJson = await t.request('openbaton-exchange', type, 'not json', { timeoutMs: 5_000 });
    expect(JSON.parse(notJson.body.toString())).toMatchObject({ action: 'ERROR' });
    expect((await peer.command(type, instantiate(type)))?.['action']).toBe('INSTANTIATE');
  });

  it('refuses a command beyond maxCommandBytes with ERROR, without running it, and keeps working', async () => {
    const { peer, vnfm, type } = await setup({ maxCommandBytes: 64 * 1024 });
    const big = { ...instantiate(type), extension: { 'nsr-id': 'nsr-1', padding: 'x'.repeat(100 * 1024) } };
    const reply = await peer.command(type, big);
    expect(reply).toMatchObject({ action: 'ERROR' });
    expect((reply?.['exception'] as { detailMessage: string }).detailMessage).toMatch(
      /refuses a command of \d+ bytes: the limit is 65536 bytes \(maxCommandBytes\)/,
    );
    expect(vnfm.calls).toEqual([]);
    expect(peer.requests).toEqual([]); // no GRANT for a refused command
    expect((await peer.command(type, instantiate(type)))?.['action']).toBe('INSTANTIATE');
  });

  it('a command whose journal write fails (the broker away for a moment) goes back to the queue and is answered once, not dropped', async () => {
    const { peer, vnfm, type } = await setup();
    const step = OperationJournal.prototype.step;
    let failed = 0;
    const spy = vi.spyOn(OperationJournal.prototype, 'step').mockImplementation(function (this: OperationJournal, ...args) {
      if (args[1] === 'received' && failed === 0) {
        failed += 1;
        return Promise.reject(new Error('journal out of reach'));
      }
      return step.apply(this, args);
    });
    try {
      const reply = await peer.command(type, instantiate(type), 8_000);
      expect(reply?.['action']).toBe('INSTANTIATE');
    } finally {
      spy.mockRestore();
    }
    expect(failed).toBe(1);
    expect(vnfm.calls).toEqual(['instantiate']);
    expect(peer.requests.map((r) => r.action)).toEqual(['GRANT_OPERATION', 'ALLOCATE_RESOURCES']);
  });

  if (env.dropVnfmConnections) {
    it('reconnects after a forced connection drop and completes the next command', async () => {
      const { peer, type } = await setup();
      env.dropVnfmConnections!(type);
      await expect
        .poll(async () => (await peer.command(type, instantiate(type), 3_000).catch(() => null))?.['action'], { timeout: 15_000 })
        .toBe('INSTANTIATE');
    });
  }
}
