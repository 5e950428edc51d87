// Package files within an EXECUTE: an agent whose hello says `bundles: 'v2'` gets the package with its VNFC's first
// INSTANTIATE script instead of a SAVE_SCRIPTS of its own; whatever no EXECUTE took, or a failed EXECUTE carried, is
// saved on its own before the event ends, so that RESUME (which ships no package) finds the scripts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentCommandError, ScriptFailedError } from '../../src/errors.js';
import { GenericLifecycle } from '../../src/lifecycle/generic-lifecycle.js';
import { ScriptLogs } from '../../src/logs/index.js';
import { MemoryResumeStore } from '../../src/resume-store/index.js';
import { FakeAgents, type FakeCall } from '../helpers/fake-agents.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function vnfr(instantiate: string[] = ['install.sh', 'setup.sh']) {
  return {
    id: 'vnfr-1',
    name: 'web',
    lifecycle_event: [
      ...(instantiate.length > 0 ? [{ event: 'INSTANTIATE', lifecycle_events: instantiate }] : []),
      { event: 'START', lifecycle_events: ['start.sh'] },
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

const files = ['install.sh', 'setup.sh', 'start.sh'].map((name) => ({ name, content: Buffer.from(`echo ${name}`) }));

/** `v2` hosts run a vnfkit agent that takes files within an EXECUTE, `v1` hosts an earlier one, the rest Open Baton's EMS. */
async function setup(hosts: { v2?: string[]; v1?: string[] }, options: { serial?: boolean } = {}) {
  const agents = new FakeAgents(['web-1', 'web-2', 'web-3']);
  for (const host of [...(hosts.v2 ?? []), ...(hosts.v1 ?? [])]) agents.bundling.add(host);
  for (const host of hosts.v2 ?? []) agents.filesWithExecute.add(host);
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-files-with-execute-'));
  dirs.push(dir);
  const resumeStore = new MemoryResumeStore();
  const lifecycle = new GenericLifecycle({
    agents,
    resumeStore,
    logs: new ScriptLogs({ directory: dir }),
    startTimeoutS: 5,
    ...(options.serial ? { vnfcConcurrency: 'serial' as const } : {}),
  });
  return { agents, lifecycle, resumeStore };
}

/** The calls one host got, as `ACTION payload [+files …]`. */
function callsOn(agents: FakeAgents, hostname: string): string[] {
  const show = (c: FakeCall): string => `${c.action} ${c.payload}${c.files !== undefined ? ` +files ${c.files}` : ''}`;
  return agents.calls.filter((c) => c.hostname === hostname).map(show);
}

const ALL = 'install.sh,setup.sh,start.sh';

describe('package files within the first EXECUTE', () => {
  it('INSTANTIATE: a v2 agent gets the package with its first script only; v1 and Open Baton agents get SAVE_SCRIPTS first', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1'], v1: ['web-2'] });
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } });
    expect(callsOn(agents, 'web-1')).toEqual([`EXECUTE install.sh +files ${ALL}`, 'EXECUTE setup.sh']);
    expect(callsOn(agents, 'web-2')).toEqual([`SAVE_SCRIPTS ${ALL}`, 'EXECUTE install.sh', 'EXECUTE setup.sh']);
    expect([...(agents.files.get('web-1')?.keys() ?? [])]).toEqual(['install.sh', 'setup.sh', 'start.sh']);
  });

  it('a package of one file travels the same way', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1', 'web-2'] });
    await lifecycle.instantiate({ vnfr: vnfr(['install.sh']), scripts: { files: files.slice(0, 1) } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual([]);
    expect(callsOn(agents, 'web-2')).toEqual(['EXECUTE install.sh +files install.sh']);
  });

  it('the bundled-commands setting off (upstream model): every agent gets SAVE_SCRIPTS', async () => {
    const { agents } = await setup({});
    agents.filesWithExecute.add('web-1'); // says v2, but the VNFM's channel reports what the setting allows
    const lifecycle = new GenericLifecycle({
      agents: { ...bind(agents), acceptsBundles: () => false, acceptsFilesWithExecute: () => false },
      resumeStore: new MemoryResumeStore(),
      logs: new ScriptLogs({ directory: dirs[0] ?? tmpdir() }),
      startTimeoutS: 5,
    });
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } });
    expect(agents.calls.filter((c) => c.files !== undefined)).toEqual([]);
    expect(agents.of('SAVE_SCRIPTS')).toHaveLength(6);
  });

  it('no INSTANTIATE scripts: the package is saved on its own before INSTANTIATE ends, bundled', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1', 'web-2'] });
    await lifecycle.instantiate({ vnfr: vnfr([]), scripts: { files } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual([`web-1:${ALL}`, `web-2:${ALL}`]);
    expect(agents.of('EXECUTE')).toEqual([]);
  });

  it('a plug-in left a VNFC without INSTANTIATE scripts: that VNFC gets the package on its own', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1', 'web-2'] });
    await lifecycle.instantiate({
      vnfr: vnfr(),
      scripts: { files },
      adjust: {
        plan: (plan) => ({
          ...plan,
          steps: plan.steps.map((step) => ({ ...step, vnfcs: step.vnfcs.filter((work) => work.hostname !== 'web-2') })),
        }),
      },
    });
    expect(callsOn(agents, 'web-1')).toEqual([`EXECUTE install.sh +files ${ALL}`, 'EXECUTE setup.sh']);
    expect(callsOn(agents, 'web-2')).toEqual([`SAVE_SCRIPTS ${ALL}`]);
  });

  it('a package over one bundle (4 MiB) is saved by SAVE_SCRIPTS as before', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1'] });
    const big = ['a.sh', 'b.sh', 'c.sh'].map((name) => ({ name, content: new Uint8Array(1.5 * 1024 * 1024) }));
    await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files: [...big, ...files] } });
    expect(callsOn(agents, 'web-1')).toEqual([
      'SAVE_SCRIPTS a.sh,b.sh',
      `SAVE_SCRIPTS c.sh,${ALL}`,
      'EXECUTE install.sh',
      'EXECUTE setup.sh',
    ]);
  });

  it('the first script fails: the package is saved again on its own, then the failure is recorded for RESUME', async () => {
    const { agents, lifecycle, resumeStore } = await setup({ v2: ['web-1', 'web-2'] });
    agents.decide = (call) => (call.hostname === 'web-1' && call.action === 'EXECUTE' ? { output: '', err: 'boom', status: 3 } : undefined);
    const failure = await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScriptFailedError);
    expect(callsOn(agents, 'web-1')).toEqual([`EXECUTE install.sh +files ${ALL}`, `SAVE_SCRIPTS ${ALL}`]);
    expect(await resumeStore.get('vnfr-1')).toMatchObject({ event: 'INSTANTIATE', scriptIndex: 0, hostname: 'web-1' });

    agents.calls.length = 0;
    agents.decide = () => undefined;
    await lifecycle.resume({ vnfr: vnfr() });
    expect(agents.of('SAVE_SCRIPTS')).toEqual([]);
    expect(agents.calls.filter((c) => c.files !== undefined)).toEqual([]);
  });

  it('no answer to the first script: the package goes again at once, not waited for (the agent may still run the script)', async () => {
    const { agents, lifecycle, resumeStore } = await setup({ v2: ['web-1'] });
    let answerSave: () => void = () => undefined;
    const saveAnswered = new Promise<void>((resolve) => {
      answerSave = resolve;
    });
    const decide = agents.decide;
    agents.decide = (call) => {
      if (call.files !== undefined) throw new Error('timed out');
      return decide(call);
    };
    // The agent is busy: the SAVE_SCRIPTS is answered only once the test says so.
    const saveScripts = agents.saveScripts.bind(agents);
    agents.saveScripts = async (hostname, sent) => {
      const reply = saveScripts(hostname, sent);
      await saveAnswered;
      return reply;
    };
    const failure = await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScriptFailedError);
    expect(callsOn(agents, 'web-1')).toEqual([`EXECUTE install.sh +files ${ALL}`, `SAVE_SCRIPTS ${ALL}`]);
    expect(await resumeStore.get('vnfr-1')).toMatchObject({ event: 'INSTANTIATE', scriptIndex: 0 });
    answerSave();
  });

  it('a package the agent cannot save fails INSTANTIATE as a failed SAVE_SCRIPTS: an AgentCommandError, nothing to RESUME', async () => {
    const { agents, lifecycle, resumeStore } = await setup({ v2: ['web-1', 'web-2'] });
    const full = { output: '', err: 'SAVE_SCRIPTS of 3 files refused: max_scripts_bytes exceeded', status: 1 };
    agents.decide = (call) =>
      call.hostname === 'web-1' && (call.files !== undefined || call.action === 'SAVE_SCRIPTS')
        ? { ...full, err: call.action === 'EXECUTE' ? `EXECUTE of "install.sh" not run: ${full.err}` : full.err }
        : undefined;
    const failure = await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AgentCommandError);
    expect((failure as AgentCommandError).message).toMatch(/SAVE_SCRIPTS/);
    expect((failure as AgentCommandError).message).toMatch(/max_scripts_bytes/);
    expect(await resumeStore.get('vnfr-1')).toBeUndefined();
  });

  it('serial VNFCs: when the first fails, the next (no script sent to it) still gets its package', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-1', 'web-2'] }, { serial: true });
    agents.decide = (call) => (call.hostname === 'web-1' && call.action === 'EXECUTE' ? { output: '', err: 'boom', status: 1 } : undefined);
    const failure = await lifecycle.instantiate({ vnfr: vnfr(), scripts: { files } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScriptFailedError);
    expect(callsOn(agents, 'web-2')).toEqual([`SAVE_SCRIPTS ${ALL}`]);
  });

  it('SCALE_OUT: the new VNFC gets the package with its first INSTANTIATE script', async () => {
    const { agents, lifecycle } = await setup({ v2: ['web-3'] });
    const record = vnfr();
    const added = { id: 'c3', hostname: 'web-3', state: 'ACTIVE', ips: [{ netName: 'private', ip: '10.0.0.3' }] };
    record.vdu[0]?.vnfc_instance.push(added);
    await lifecycle.scaleOut({ vnfr: record, vnfc: added, scripts: { files } });
    expect(callsOn(agents, 'web-3')).toEqual([`EXECUTE install.sh +files ${ALL}`, 'EXECUTE setup.sh', 'EXECUTE start.sh']);
  });
});

/** The fake's methods bound to it, to override some in a spread. */
function bind(agents: FakeAgents) {
  return {
    waitForAgent: agents.waitForAgent.bind(agents),
    acceptsBundles: agents.acceptsBundles.bind(agents),
    acceptsFilesWithExecute: agents.acceptsFilesWithExecute.bind(agents),
    saveScript: agents.saveScript.bind(agents),
    saveScripts: agents.saveScripts.bind(agents),
    cloneScripts: agents.cloneScripts.bind(agents),
    execute: agents.execute.bind(agents),
    updateScript: agents.updateScript.bind(agents),
    saveVnfrDependency: agents.saveVnfrDependency.bind(agents),
    forgetAgent: agents.forgetAgent.bind(agents),
  };
}
