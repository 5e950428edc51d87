// withPackageUserData: the VNF package's own userdata.sh / user-data.sh goes after the VNFM's user data in
// ALLOCATE_RESOURCES (as Open Baton's AbstractVnfm.getUserData 6.0.0), and only there: SCALING carries the VNFM's part.
import { bytesToPayload, type NetworkServiceDescriptor, type VNFPackage } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessVim, NfvoSimulator, type MessageEvent } from '../../src/testing/index.js';
import { MemoryBroker, createMemoryTransport } from '@vnfkit/transport';
import { AbstractVnfm, withPackageUserData, type InstantiateContext, type UserDataContext } from '../../src/vnfm.js';

const BOM = '\uFEFF';

/** A package whose scripts have these names and contents (payloads as Gson `byte[]`, signed bytes). */
function pkg(scripts: Record<string, string | Uint8Array>): VNFPackage {
  return {
    id: 'pkg-1',
    hbVersion: 0,
    name: 'pkg',
    scripts: Object.entries(scripts).map(([name, content]) => ({
      name,
      payload: bytesToPayload(typeof content === 'string' ? new TextEncoder().encode(content) : content),
    })),
  };
}

describe('withPackageUserData', () => {
  it('appends the package userdata.sh after the VNFM part, inserting a newline when the VNFM part lacks one', () => {
    expect(withPackageUserData('#!/bin/bash\necho vnfm', pkg({ 'userdata.sh': 'echo package\n' }))).toBe(
      '#!/bin/bash\necho vnfm\necho package\n',
    );
  });

  it('inserts no newline when the VNFM part already ends with one', () => {
    expect(withPackageUserData('#!/bin/bash\necho vnfm\n', pkg({ 'userdata.sh': 'echo package\n' }))).toBe(
      '#!/bin/bash\necho vnfm\necho package\n',
    );
  });

  it('an empty VNFM part gives the package script alone', () => {
    expect(withPackageUserData('', pkg({ 'userdata.sh': '#!/bin/sh\necho package' }))).toBe('#!/bin/sh\necho package');
  });

  it('also takes user-data.sh', () => {
    expect(withPackageUserData('a', pkg({ 'install.sh': 'no', 'user-data.sh': 'b' }))).toBe('a\nb');
  });

  it('matches the names exactly and case-sensitively: UserData.sh, USERDATA.SH and others are ignored', () => {
    for (const name of [
      'UserData.sh',
      'USERDATA.SH',
      'User-Data.sh',
      'userdata.sh.bak',
      'userdata',
      'scripts/userdata.sh',
      ' userdata.sh',
    ]) {
      expect(withPackageUserData('vnfm', pkg({ [name]: 'echo package' })), name).toBe('vnfm');
    }
  });

  it('takes the exact name among look-alikes', () => {
    expect(withPackageUserData('vnfm', pkg({ 'UserData.sh': 'wrong', 'userdata.sh': 'right' }))).toBe('vnfm\nright');
  });

  it('strips a leading UTF-8 BOM of the script (and only a leading one)', () => {
    expect(withPackageUserData('vnfm', pkg({ 'userdata.sh': `${BOM}echo package` }))).toBe('vnfm\necho package');
    const bomBytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('echo ü')]);
    expect(withPackageUserData('vnfm\n', pkg({ 'userdata.sh': bomBytes }))).toBe('vnfm\necho ü');
    expect(withPackageUserData('vnfm', pkg({ 'userdata.sh': `echo ${BOM}x` }))).toBe(`vnfm\necho ${BOM}x`);
  });

  it('decodes the signed byte payload as UTF-8', () => {
    const script = 'echo "héllo wörld ✓"\n';
    const wire = pkg({ 'userdata.sh': script });
    expect(wire.scripts?.[0]?.payload?.some((b) => b < 0)).toBe(true);
    expect(withPackageUserData('vnfm\n', wire)).toBe(`vnfm\n${script}`);
  });

  it('appends nothing for a missing package, scripts list or script, nor for an empty script', () => {
    expect(withPackageUserData('vnfm', undefined)).toBe('vnfm');
    expect(withPackageUserData('vnfm', { name: 'pkg' })).toBe('vnfm');
    expect(withPackageUserData('vnfm', pkg({}))).toBe('vnfm');
    expect(withPackageUserData('vnfm', pkg({ 'install.sh': 'echo install' }))).toBe('vnfm');
    expect(withPackageUserData('vnfm', pkg({ 'userdata.sh': '' }))).toBe('vnfm');
    expect(withPackageUserData('vnfm', { name: 'pkg', scripts: [{ name: 'userdata.sh' }] })).toBe('vnfm');
    expect(withPackageUserData('', pkg({ 'userdata.sh': '' }))).toBe('');
  });

  it('a script that is only a BOM counts as empty', () => {
    expect(withPackageUserData('vnfm', pkg({ 'userdata.sh': BOM }))).toBe('vnfm');
  });
});

// ---- ALLOCATE_RESOURCES vs SCALING through the simulator, on the memory transport ----

const VNFM_USER_DATA = '#!/bin/bash\necho "vnfm part"'; // no final newline: one must be inserted
const PACKAGE_USER_DATA = 'echo "package part"\n';

/** A VNFM that only contributes user data. */
class UserDataVnfm extends AbstractVnfm {
  readonly userDataCalls: UserDataContext[] = [];

  protected override async instantiate({ vnfr }: InstantiateContext) {
    return vnfr;
  }

  protected override userData(ctx: UserDataContext): string {
    this.userDataCalls.push(ctx);
    return VNFM_USER_DATA;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

describe('package user data on the wire (NFVO simulator, memory transport)', () => {
  it('ALLOCATE_RESOURCES carries the VNFM user data then the package userdata.sh; SCALING only the VNFM part', async () => {
    const broker = new MemoryBroker();
    const vim = new InProcessVim(async () => createMemoryTransport(broker));
    const sim = await NfvoSimulator.create({ transport: createMemoryTransport(broker), vim, brokerUrl: 'amqp://in-process' });
    const vnfm = new UserDataVnfm({ type: 'userdata', transportFactory: async () => createMemoryTransport(broker) });
    await vnfm.connect();
    cleanups.push(
      () => vim.close(),
      () => sim.close(),
      () => vnfm.close(),
    );
    const messages: MessageEvent[] = [];
    sim.on('message', (m) => messages.push(m));
    const fromVnfm = (action: string) =>
      messages.filter((m) => m.direction === 'from-vnfm' && m.action === action).map((m) => m.body as Record<string, unknown>);

    const nsd: NetworkServiceDescriptor = {
      name: 'ns',
      vnfd: [
        {
          name: 'vnf',
          type: 'server',
          endpoint: 'userdata',
          vdu: [{ name: 'v', scale_in_out: 3, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
        },
      ],
    };
    const nsrId = await sim.deploy(nsd, {
      packages: { vnf: { scripts: { 'userdata.sh': `${BOM}${PACKAGE_USER_DATA}`, 'install.sh': 'echo install\n' } } },
    });
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });

    const allocations = fromVnfm('ALLOCATE_RESOURCES');
    expect(allocations).toHaveLength(1);
    expect(allocations[0]?.['userdata']).toBe(`${VNFM_USER_DATA}\n${PACKAGE_USER_DATA}`);
    expect(vnfm.userDataCalls[0]?.vnfPackage?.scripts?.map((s) => s.name)).toEqual(['userdata.sh', 'install.sh']);

    await sim.scaleOut(nsrId, 'vnf');
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 20_000 });
    const scalings = fromVnfm('SCALING');
    expect(scalings).toHaveLength(1);
    // The SCALE_OUT command had the package (with userdata.sh), yet SCALING carries only the VNFM's part.
    const scaleOut = messages.find((m) => m.direction === 'to-vnfm' && m.action === 'SCALE_OUT')?.body as
      { vnfPackage?: VNFPackage } | undefined;
    expect(scaleOut?.vnfPackage?.scripts?.some((s) => s.name === 'userdata.sh')).toBe(true);
    expect(scalings[0]?.['userData']).toBe(VNFM_USER_DATA);
    expect(scalings[0]?.['userdata']).toBeUndefined();
    expect(fromVnfm('SCALED')).toHaveLength(1);
    expect(sim.vnfr(nsrId, 'vnf').vdu?.[0]?.vnfc_instance).toHaveLength(2);
  });
});
