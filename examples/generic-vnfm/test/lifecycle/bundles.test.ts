// Bundled commands in the lifecycle: an agent whose hello says `bundles: 'v1'` gets every package file in one
// SAVE_SCRIPTS and its dependency within the next EXECUTE; Open Baton's EMS one command per file and per dependency.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptFailedError } from '../../src/errors.js';
import { GenericLifecycle } from '../../src/lifecycle/generic-lifecycle.js';
import { ScriptLogs } from '../../src/logs/index.js';
import { MemoryResumeStore } from '../../src/resume-store/index.js';
import { FakeAgents } from '../helpers/fake-agents.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function vnfr() {
  return {
    id: 'vnfr-1',
    name: 'web',
    lifecycle_event: [
      { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
      { event: 'CONFIGURE', lifecycle_events: ['db_configure.sh', 'configure.sh', 'tune.sh'] },
    ],
    vdu: [
      {
        vnfc_instance: [
          { id: 'c1', hostname: 'web-1', state: 'ACTIVE', ips: [{ netName: 'private', ip: '10.0.0.1' }] },
          { id: 'c2', hostname: 'web-2', state: 'ACTIVE', ips: [{ netName: 'private', ip: '10.0.0.2' }] },
        ],
      },
    ],
  };
}

const dependency = { vnfcParameters: { db: { parameters: { d1: { parameters: { private: '10.9.0.1' } } } } } };
const files = ['install.sh', 'configure.sh', 'db_configure.sh', 'tune.sh'].map((name) => ({ name, content: Buffer.from(`echo ${name}`) }));

/** web-1 runs a vnfkit agent (takes bundles), web-2 Open Baton's EMS. */
async function setup() {
  const agents = new FakeAgents(['web-1', 'web-2']);
  agents.bundling.add('web-1');
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-bundles-'));
  dirs.push(dir);
  const lifecycle = new GenericLifecycle({
    agents,
    resumeStore: new MemoryResumeStore(),
    logs: new ScriptLogs({ directory: dir }),
    startTimeoutS: 5,
  });
  return { agents, lifecycle };
}

describe('bundled agent commands', () => {
  it("INSTANTIATE: one SAVE_SCRIPTS of every file to a vnfkit agent, one per file to Open Baton's EMS; the same files arrive", async () => {
    const { agents, lifecycle } = await setup();
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual([
      'web-1:install.sh,configure.sh,db_configure.sh,tune.sh',
      'web-2:install.sh',
      'web-2:configure.sh',
      'web-2:db_configure.sh',
      'web-2:tune.sh',
    ]);
    expect([...(agents.files.get('web-1')?.keys() ?? [])]).toEqual([...(agents.files.get('web-2')?.keys() ?? [])]);
    expect(agents.of('EXECUTE')).toEqual(['web-1:install.sh', 'web-2:install.sh']);
  });

  it('a package over 4 MiB goes in several bundles, in order, none over the bound', async () => {
    const { agents, lifecycle } = await setup();
    const big = ['a.sh', 'b.sh', 'c.sh'].map((name) => ({ name, content: new Uint8Array(1.5 * 1024 * 1024) })); // 2 MiB of base64 each
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files: [...big, ...files] } });
    expect(agents.of('SAVE_SCRIPTS').filter((c) => c.startsWith('web-1:'))).toEqual([
      'web-1:a.sh,b.sh',
      'web-1:c.sh,install.sh,configure.sh,db_configure.sh,tune.sh',
    ]);
    expect(agents.of('SAVE_SCRIPTS').filter((c) => c.startsWith('web-2:'))).toHaveLength(7);
  });

  it('one file is sent as a plain SAVE_SCRIPTS to every agent', async () => {
    const { agents, lifecycle } = await setup();
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files: files.slice(0, 1) } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual(['web-1:install.sh', 'web-2:install.sh']);
  });

  it("MODIFY: the dependency rides on the first untyped CONFIGURE EXECUTE of a vnfkit agent; Open Baton's EMS gets SAVE_VNFR_DEPENDENCY first", async () => {
    const { agents, lifecycle } = await setup();
    await lifecycle.modify({ vnfr: vnfr(), dependency });
    const onWeb1 = agents.calls
      .filter((c) => c.hostname === 'web-1')
      .map((c) => `${c.action} ${c.payload}${c.dependency ? ' +dependency' : ''}`);
    expect(onWeb1).toEqual(['EXECUTE db_configure.sh', 'EXECUTE configure.sh +dependency', 'EXECUTE tune.sh']);
    const onWeb2 = agents.calls.filter((c) => c.hostname === 'web-2').map((c) => c.action);
    expect(onWeb2).toEqual(['EXECUTE', 'SAVE_VNFR_DEPENDENCY', 'EXECUTE', 'EXECUTE']);
    const carried = agents.calls.find((c) => c.dependency !== undefined)?.dependency ?? '';
    const saved = agents.calls.find((c) => c.action === 'SAVE_VNFR_DEPENDENCY')?.payload;
    expect(carried).toBe(saved);
    expect(JSON.parse(carried)).toEqual(dependency);
  });

  it('a bundled EXECUTE whose dependency the agent cannot save fails the event like a failed script', async () => {
    const { agents, lifecycle } = await setup();
    agents.decide = (call) =>
      call.dependency !== undefined
        ? { output: '', err: 'EXECUTE of "configure.sh" not run: SAVE_VNFR_DEPENDENCY failed: disk full', status: 1 }
        : undefined;
    const failure = await lifecycle.modify({ vnfr: vnfr(), dependency }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScriptFailedError);
    expect((failure as ScriptFailedError).message).toMatch(/web-1.*disk full|disk full.*web-1/s);
    expect(agents.of('EXECUTE')).not.toContain('web-1:tune.sh');
  });

  it.each([
    { dropped: ['configure.sh'], web1: ['EXECUTE db_configure.sh', 'EXECUTE tune.sh +dependency'] },
    { dropped: ['configure.sh', 'tune.sh'], web1: ['EXECUTE db_configure.sh', 'SAVE_VNFR_DEPENDENCY'] },
  ])(
    'a plug-in dropped $dropped: the dependency goes with the next EXECUTE there, else on its own at the end',
    async ({ dropped, web1 }) => {
      const { agents, lifecycle } = await setup();
      await lifecycle.modify({
        vnfr: vnfr(),
        dependency,
        adjust: {
          plan: (plan) => ({
            ...plan,
            steps: plan.steps.map((step) => ({
              ...step,
              vnfcs: step.vnfcs.map((work) => ({
                ...work,
                commands: work.commands.filter((c) => c.kind !== 'execute' || !dropped.includes(step.scriptName)),
              })),
            })),
          }),
        },
      });
      const onWeb1 = agents.calls
        .filter((c) => c.hostname === 'web-1')
        .map((c) => (c.action === 'EXECUTE' ? `EXECUTE ${c.payload}${c.dependency ? ' +dependency' : ''}` : c.action));
      expect(onWeb1).toEqual(web1);
    },
  );
});
