import { execFileSync } from 'node:child_process';
// The Generic VNFM end to end: real RabbitMQ, real vnfkit-ems processes, real scripts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkServiceDescriptor } from '@vnfkit/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { envs, privateVhost, runs, scripts, SilentVim, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const cp = [{ connection_point: [{ virtual_link_reference: 'private' }] }];
const iperf = (type: string): NetworkServiceDescriptor => ({
  name: 'iperf',
  vnfd: [
    {
      name: 'iperf-server',
      type: 'server',
      endpoint: type,
      configurations: {
        name: 'c',
        configurationParameters: [
          { confKey: 'port', value: '5001' },
          { confKey: 'net-mode', value: 'tcp' },
        ],
      },
      lifecycle_event: [
        { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
        { event: 'START', lifecycle_events: ['start.sh'] },
        { event: 'STOP', lifecycle_events: ['stop.sh'] },
        { event: 'HEAL', lifecycle_events: ['heal.sh'] },
        { event: 'TERMINATE', lifecycle_events: ['terminate.sh'] },
      ],
      // Two VNFCs from the start: the client's typed CONFIGURE must fan out once per server VNFC.
      vdu: [{ name: 'server-vdu', scale_in_out: 4, vnfc: [...cp, ...cp] }],
    },
    {
      name: 'iperf-client',
      type: 'client',
      endpoint: type,
      configurations: { name: 'c', configurationParameters: [{ confKey: 'port', value: '5001' }] },
      lifecycle_event: [
        { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
        { event: 'CONFIGURE', lifecycle_events: ['server_configure.sh', 'generic_configure.sh'] },
        { event: 'START', lifecycle_events: ['start.sh'] },
        { event: 'SCALE_IN', lifecycle_events: ['scale_in.sh'] },
      ],
      vdu: [{ name: 'client-vdu', scale_in_out: 1, vnfc: cp }],
    },
  ],
  vnf_dependency: [{ source: { name: 'iperf-server' }, target: { name: 'iperf-client' }, parameters: ['private', 'hostname'] }],
});
const serverScripts = scripts(['install.sh', 'start.sh', 'stop.sh', 'heal.sh', 'terminate.sh']);
const clientScripts = scripts(['install.sh', 'server_configure.sh', 'generic_configure.sh', 'start.sh', 'scale_in.sh']);

describe.sequential('Generic VNFM: iperf NS through its whole life', () => {
  let h: Harness;
  let nsrId = '';
  beforeAll(async () => {
    h = await startHarness({ url: vhost.url });
  }, 60_000);
  afterAll(async () => h.close());

  it('deploys; every script sees the environment of §6; typed CONFIGURE fans out per server VNFC', async () => {
    const allocations: unknown[] = [];
    h.sim.on('message', (m) => {
      if (m.action === 'ALLOCATE_RESOURCES' && m.direction === 'from-vnfm') allocations.push(m.body);
    });
    nsrId = await h.sim.deploy(iperf(h.type), {
      packages: { 'iperf-server': { scripts: serverScripts }, 'iperf-client': { scripts: clientScripts } },
    });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    const server = h.sim.vnfr(nsrId, 'iperf-server').vdu?.[0]?.vnfc_instance ?? [];
    expect(server.map((v) => v.hostname).sort()).toEqual(['iperf-server-1', 'iperf-server-2']);
    // The VMs' cloud-init user data: the agent template filled with the broker from extension.brokerIp, hostname left to the NFVO.
    const userdata = (allocations[0] as { userdata: string }).userdata;
    expect(userdata).toContain("export BROKER_IP='127.0.0.1'");
    expect(userdata).toContain(`export TYPE='${h.type}'`);
    expect(userdata).toContain('export #Hostname=');
    expect(userdata).not.toContain('{{');
    const [installEnv] = await envs(h.vim, 'iperf-server-1', 'install.sh');
    expect(installEnv).toMatchObject({
      hostname: 'iperf-server-1',
      port: '5001',
      net_mode: 'tcp',
      private: server.find((v) => v.hostname === 'iperf-server-1')?.ips?.[0]?.ip,
    });

    expect(await runs(h.vim, 'iperf-client-1')).toEqual([
      'install.sh',
      'server_configure.sh',
      'server_configure.sh',
      'generic_configure.sh',
      'start.sh',
    ]);
    const configured = await envs(h.vim, 'iperf-client-1', 'server_configure.sh');
    expect(configured.map((e) => e['server_hostname']).sort()).toEqual(['iperf-server-1', 'iperf-server-2']);
    for (const e of configured) {
      expect(e['server_private']).toBe(server.find((v) => v.hostname === e['server_hostname'])?.ips?.[0]?.ip);
      expect(e).toMatchObject({ hostname: 'iperf-client-1', port: '5001' });
    }
    // Untyped CONFIGURE scripts get no <type>_ variables, but ob_parameters.* were written before them.
    const [generic] = await envs(h.vim, 'iperf-client-1', 'generic_configure.sh');
    expect(Object.keys(generic ?? {}).filter((k) => k.startsWith('server_'))).toEqual([]);
    const sh = readFileSync(join(h.vim.scriptsDir('iperf-client-1'), 'ob_parameters.sh'), 'utf8');
    expect(sh).toMatch(/OB_server_VNFC_hostname=.*iperf-server-1/);
  });

  it('scales the server out (client configured for the new VNFC only) and in (removing_* on the client)', async () => {
    await h.sim.scaleOut(nsrId, 'iperf-server');
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(await runs(h.vim, 'iperf-server-3')).toEqual(['install.sh', 'start.sh']);
    const configured = await envs(h.vim, 'iperf-client-1', 'server_configure.sh');
    expect(configured).toHaveLength(3);
    expect(configured[2]?.['server_hostname']).toBe('iperf-server-3');

    const removedIp = h.sim.vnfr(nsrId, 'iperf-server').vdu?.[0]?.vnfc_instance?.find((v) => v.hostname === 'iperf-server-3')?.ips?.[0]?.ip;
    await h.sim.scaleIn(nsrId, 'iperf-server', 'iperf-server-3');
    const [scaleIn] = await envs(h.vim, 'iperf-client-1', 'scale_in.sh');
    expect(scaleIn).toMatchObject({ removing_hostname: 'iperf-server-3', removing_private: removedIp, hostname: 'iperf-client-1' });
  });

  it('heals one VNFC with cause, and stops/starts one VNFC', async () => {
    await h.sim.heal(nsrId, 'iperf-server', { hostname: 'iperf-server-2', cause: 'serviceDown' });
    const [heal] = await envs(h.vim, 'iperf-server-2', 'heal.sh');
    expect(heal).toMatchObject({ cause: 'serviceDown', hostname: 'iperf-server-2' });
    expect(await envs(h.vim, 'iperf-server-1', 'heal.sh')).toEqual([]);

    await h.sim.startStop(nsrId, 'iperf-server', { action: 'STOP', hostname: 'iperf-server-1' });
    await h.sim.startStop(nsrId, 'iperf-server', { action: 'START', hostname: 'iperf-server-1' });
    expect((await runs(h.vim, 'iperf-server-1')).slice(-2)).toEqual(['stop.sh', 'start.sh']);
    expect((await runs(h.vim, 'iperf-server-2')).filter((r) => r === 'stop.sh')).toEqual([]);
  });

  it('a failed script → ERROR with its stderr in the NFVO history → script update → VNFM restart → resume → ACTIVE', async () => {
    await h.sim.updateScript(nsrId, 'iperf-server', { name: 'start.sh', content: 'echo "port 5001 busy" >&2\nexit 7\n' });
    await h.sim.startStop(nsrId, 'iperf-server', { action: 'START' });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    const history = h.sim.vnfr(nsrId, 'iperf-server').lifecycle_event_history?.at(-1)?.description ?? '';
    expect(history).toMatch(/start\.sh failed on iperf-server-\d with exit status 7: port 5001 busy/);

    await h.sim.updateScript(nsrId, 'iperf-server', { name: 'start.sh', content: serverScripts['start.sh'] ?? '' });
    // The VNFM that saw the failure goes away; a new one resumes from the file-backed record.
    await h.vnfm.close();
    h.vnfm = await h.restartVnfm();
    await h.sim.resume(nsrId);
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
    expect((await runs(h.vim, 'iperf-server-1')).at(-1)).toBe('start.sh');
  });

  it('returns script logs on LOG_REQUEST and terminates (TERMINATE scripts, VMs deleted)', async () => {
    const logs = await h.sim.logs(nsrId, 'iperf-server', 'iperf-server-1');
    expect(logs.outputLog.join('\n')).toContain('ran install.sh on iperf-server-1');
    // The log root is marked for spread inode allocation where the file system has the flag (ext*).
    const logRoot = join(h.work, 'logs');
    if (execFileSync('stat', ['-f', '-c', '%T', logRoot], { encoding: 'utf8' }).startsWith('ext'))
      expect(execFileSync('lsattr', ['-d', logRoot], { encoding: 'utf8' }).split(' ')[0]).toContain('T');
    await h.sim.terminate(nsrId);
    expect(h.sim.nsStatus(nsrId)).toBe('TERMINATED');
    expect(h.vim.hostnames()).toEqual([]);
  });
});

describe('Generic VNFM with real Open Baton sample NSDs', () => {
  let h: Harness;
  afterEach(async () => h.close());
  const sample = (file: string, type: string): NetworkServiceDescriptor => {
    const nsd = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'openbaton-samples', file), 'utf8'),
    ) as NetworkServiceDescriptor;
    for (const vnfd of nsd.vnfd) vnfd.endpoint = type;
    return nsd;
  };
  const packagesFor = (nsd: NetworkServiceDescriptor) =>
    Object.fromEntries(
      nsd.vnfd.map((v) => [
        v.name ?? '',
        { scripts: scripts([...new Set((v.lifecycle_event ?? []).flatMap((e) => e.lifecycle_events ?? []))]) },
      ]),
    );

  it('ncat-complex: five peers, two networks, typed CONFIGURE scripts per source', async () => {
    h = await startHarness({ url: vhost.url });
    const nsd = sample('NetworkServiceDescriptor-ncat-complex.json', h.type);
    const nsrId = await h.sim.deploy(nsd, { packages: packagesFor(nsd) });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 60_000 });
    const ipOf = (vnfr: string, net: string) =>
      h.sim.vnfr(nsrId, vnfr).vdu?.[0]?.vnfc_instance?.[0]?.ips?.find((i) => i.netName === net)?.ip;
    const [peer1Conf] = await envs(h.vim, 'ncatpeer5-1', 'peer1_configure_private.sh');
    expect(peer1Conf?.['peer1_private']).toBe(ipOf('ncatpeer1', 'private'));
    const [peer3Conf] = await envs(h.vim, 'ncatpeer5-1', 'peer3_configure_private2.sh');
    expect(peer3Conf?.['peer3_private2']).toBe(ipOf('ncatpeer3', 'private2'));
    expect(await runs(h.vim, 'ncatpeer5-1')).toEqual([
      'bring_interfaces_up.sh',
      'ncat-install.sh',
      'ncat-server-setup.sh',
      'peer1_configure_private.sh',
      'peer2_configure_private.sh',
      'peer3_configure_private2.sh',
    ]);
    await h.sim.terminate(nsrId);
  });

  it('iperf-dummy: the sample as published', async () => {
    h = await startHarness({ url: vhost.url });
    const nsd = sample('NetworkServiceDescriptor-iperf-dummy.json', h.type);
    const nsrId = await h.sim.deploy(nsd, { packages: packagesFor(nsd) });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    expect(await runs(h.vim, 'iperf-client-1')).toEqual(['instantiate.sh', 'start.sh']);
    await h.sim.terminate(nsrId);
  });

  it('sipp-real-fms-heal: HEAL with cause, a STANDBY scale-out, switchToStandby, and an ad-hoc EXECUTE', async () => {
    h = await startHarness({ url: vhost.url });
    const nsd = sample('NetworkServiceDescriptor-sipp-real-fms-heal.json', h.type);
    const nsrId = await h.sim.deploy(nsd, { packages: packagesFor(nsd) });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    const serverIp = (hostname: string) =>
      h.sim.vnfr(nsrId, 'sipp-server').vdu?.[0]?.vnfc_instance?.find((c) => c.hostname === hostname)?.ips?.[0]?.ip;
    const stateOf = (hostname: string) =>
      h.sim.vnfr(nsrId, 'sipp-server').vdu?.[0]?.vnfc_instance?.find((c) => c.hostname === hostname)?.state;
    expect(await runs(h.vim, 'sipp-client-1')).toEqual(['sipp_install.sh', 'server_sipp_configure.sh', 'sipp_client_start.sh']);
    const [configured] = await envs(h.vim, 'sipp-client-1', 'server_sipp_configure.sh');
    expect(configured).toMatchObject({ server_private: serverIp('sipp-server-1'), SIPP_RATE: '10', SIPP_TRANSPORT_MODE: 'u1' });

    // An ordinary heal: the HEAL scripts on that VNFC, with the cause.
    await h.sim.heal(nsrId, 'sipp-server', { hostname: 'sipp-server-1', cause: 'serviceDown' });
    expect(await envs(h.vim, 'sipp-server-1', 'heal.sh')).toEqual([
      expect.objectContaining({ cause: 'serviceDown', hostname: 'sipp-server-1' }),
    ]);

    // A standby VNFC: installed but not started.
    await h.sim.scaleOut(nsrId, 'sipp-server', { mode: 'standby' });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(await runs(h.vim, 'sipp-server-2')).toEqual(['sipp_install.sh']);
    expect(stateOf('sipp-server-2')?.toLowerCase()).toBe('standby');

    // switchToStandby: START on the standby VNFC, which becomes ACTIVE; the client is configured against it.
    const configuredBefore = (await envs(h.vim, 'sipp-client-1', 'server_sipp_configure.sh')).length;
    await h.sim.heal(nsrId, 'sipp-server', { hostname: 'sipp-server-1', cause: 'switchToStandby' });
    expect(await runs(h.vim, 'sipp-server-2')).toEqual(['sipp_install.sh', 'sipp_server_start.sh']);
    expect(await envs(h.vim, 'sipp-server-2', 'heal.sh')).toEqual([]);
    expect(stateOf('sipp-server-2')).toBe('ACTIVE');
    const reconfigured = await envs(h.vim, 'sipp-client-1', 'server_sipp_configure.sh');
    expect(reconfigured).toHaveLength(configuredBefore + 1);
    expect(reconfigured.at(-1)?.['server_private']).toBe(serverIp('sipp-server-2'));

    // EXECUTE: the ad-hoc script is saved and run on every VNFC of the VNFR, without any environment from the VNFM.
    await h.sim.execute(nsrId, 'sipp-client', { name: 'adhoc.sh', content: scripts(['adhoc.sh'])['adhoc.sh'] ?? '' });
    const [adhoc] = await envs(h.vim, 'sipp-client-1', 'adhoc.sh');
    expect(adhoc).toBeDefined();
    expect(Object.keys(adhoc ?? {}).filter((k) => ['hostname', 'private', 'SIPP_RATE'].includes(k))).toEqual([]);
    await h.sim.terminate(nsrId);
  });
});

describe('Generic VNFM error paths', () => {
  it('an agent that never says hello ends in ERROR naming the hostname', async () => {
    const h = await startHarness({ url: vhost.url, vim: new SilentVim(), startTimeoutS: 1 });
    try {
      const nsrId = await h.sim.deploy(
        {
          name: 'ns',
          vnfd: [
            {
              name: 'lonely',
              type: 't',
              endpoint: h.type,
              lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
              vdu: [{ name: 'v', vnfc: cp }],
            },
          ],
        },
        { packages: { lonely: { scripts: scripts(['install.sh']) } } },
      );
      await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
      expect(h.sim.vnfr(nsrId, 'lonely').lifecycle_event_history?.at(-1)?.description).toMatch(/lonely-1/);
      expect(h.sim.vnfr(nsrId, 'lonely').lifecycle_event_history?.at(-1)?.description).toMatch(/EMS|agent/i);
    } finally {
      await h.close();
    }
  });
});
