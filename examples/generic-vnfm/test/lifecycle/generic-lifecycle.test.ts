import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentCommandError, AgentNotReadyError, NothingToResumeError, ScriptFailedError } from '../../src/errors.js';
import { GenericLifecycle } from '../../src/lifecycle/generic-lifecycle.js';
import { ScriptLogs } from '../../src/logs/index.js';
import { FileResumeStore, MemoryResumeStore, type ResumeStore } from '../../src/resume-store/index.js';
import { FakeAgents } from '../helpers/fake-agents.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-lc-'));
  dirs.push(dir);
  return dir;
}

function makeVnfr() {
  return {
    id: 'vnfr-1',
    name: 'web',
    configurations: { configurationParameters: [{ confKey: 'answer', value: '42' }] },
    lifecycle_event: [
      { event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'setup.sh', 'tune.sh'] },
      { event: 'CONFIGURE', lifecycle_events: ['db_configure.sh', 'configure.sh'] },
      { event: 'START', lifecycle_events: ['start.sh'] },
      { event: 'TERMINATE', lifecycle_events: ['terminate.sh'] },
      { event: 'HEAL', lifecycle_events: ['heal.sh'] },
      { event: 'UPDATE', lifecycle_events: ['update.sh'] },
      { event: 'ERROR', lifecycle_events: ['error.sh'] },
    ],
    vdu: [
      {
        vnfc_instance: [
          { id: 'c2', hostname: 'web-2', state: 'ACTIVE', ips: [{ netName: 'private', ip: '10.0.0.2' }] },
          { id: 'c1', hostname: 'web-1', state: 'ACTIVE', ips: [{ netName: 'private', ip: '10.0.0.1' }] },
        ],
      },
    ],
  };
}

const files = [
  { name: 'install.sh', content: Buffer.from('echo install') },
  { name: 'helper.txt', content: Buffer.from('data') },
];

async function setup(options: { store?: ResumeStore; ready?: string[] } = {}) {
  const agents = new FakeAgents(options.ready ?? ['web-1', 'web-2', 'web-3']);
  const store = options.store ?? new MemoryResumeStore();
  const logs = new ScriptLogs({ directory: await tempDir() });
  const lifecycle = new GenericLifecycle({
    agents,
    resumeStore: store,
    logs,
    startTimeoutS: 5,
    now: () => new Date('2025-01-01T00:00:00Z'),
  });
  return { agents, store, logs, lifecycle };
}

describe('GenericLifecycle', () => {
  it('INSTANTIATE waits for agents, saves every file script-major on all VNFCs, then runs the scripts', async () => {
    const { agents, lifecycle, logs } = await setup();
    const vnfr = makeVnfr();
    await lifecycle.instantiate({ vnfr, scripts: { files } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual(['web-1:install.sh', 'web-2:install.sh', 'web-1:helper.txt', 'web-2:helper.txt']);
    expect(agents.of('EXECUTE')).toHaveLength(6);
    expect(agents.calls.findIndex((c) => c.action === 'EXECUTE')).toBe(4);
    expect((await logs.read('web', 'web-1')).outputLog).toContain('Output of Script : tune.sh');
  });

  it('INSTANTIATE with a scriptsLink clones once per VNFC instead of saving files', async () => {
    const { agents, lifecycle } = await setup();
    await lifecycle.instantiate({ vnfr: makeVnfr(), scripts: { files, scriptsLink: 'https://git.example/scripts.git' } });
    expect(agents.of('CLONE_SCRIPTS')).toEqual(['web-1:https://git.example/scripts.git', 'web-2:https://git.example/scripts.git']);
    expect(agents.of('SAVE_SCRIPTS')).toEqual([]);
  });

  it('names every agent that never said hello and records nothing', async () => {
    const { agents, lifecycle, store } = await setup({ ready: ['web-2'] });
    const error = await lifecycle.instantiate({ vnfr: makeVnfr(), scripts: { files } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentNotReadyError);
    expect((error as Error).message).toMatch(/Timeout waiting for EMS: VNFR web: .*web-1.* 5 s/);
    expect(agents.calls).toEqual([]);
    expect(await store.get('vnfr-1')).toBeUndefined();
  });

  it('a failing save is an AgentCommandError and not resumable', async () => {
    const { agents, lifecycle, store } = await setup();
    agents.decide = (call) => (call.action === 'SAVE_SCRIPTS' ? { output: '', err: 'disk full', status: 1 } : undefined);
    await expect(lifecycle.instantiate({ vnfr: makeVnfr(), scripts: { files } })).rejects.toThrow(AgentCommandError);
    expect(await store.get('vnfr-1')).toBeUndefined();
  });

  it('a script log that cannot be written fails the event once its scripts ran', async () => {
    const blocker = join(await tempDir(), 'a-file');
    await writeFile(blocker, '');
    const agents = new FakeAgents(['web-1', 'web-2']);
    const lifecycle = new GenericLifecycle({
      agents,
      resumeStore: new MemoryResumeStore(),
      logs: new ScriptLogs({ directory: join(blocker, 'logs') }),
    });
    await expect(lifecycle.start({ vnfr: makeVnfr() })).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(agents.of('EXECUTE')).toHaveLength(2);
  });

  it('a failing script is recorded with its absolute index, marks the VNFC, logs stderr; resume continues there', async () => {
    const { agents, lifecycle, store, logs } = await setup();
    const vnfr = makeVnfr();
    agents.decide = (call) =>
      call.payload === 'setup.sh' && call.hostname === 'web-2' ? { output: 'half', err: 'setup exploded', status: 4 } : undefined;
    const error = (await lifecycle.instantiate({ vnfr, scripts: { files } }).catch((e: unknown) => e)) as ScriptFailedError;
    expect(error).toBeInstanceOf(ScriptFailedError);
    expect(error.message).toContain('setup exploded');
    expect(await store.get('vnfr-1')).toEqual({
      vnfrId: 'vnfr-1',
      vnfrName: 'web',
      event: 'INSTANTIATE',
      scriptIndex: 1,
      scriptName: 'setup.sh',
      hostname: 'web-2',
      at: '2025-01-01T00:00:00.000Z',
    });
    expect(vnfr.vdu[0]!.vnfc_instance.find((c) => c.hostname === 'web-2')!.state).toBe('error');
    expect((await logs.read('web', 'web-2')).errorLog).toContain('setup exploded');
    expect(agents.of('EXECUTE').filter((c) => c.endsWith('tune.sh'))).toEqual([]);

    // second failure during resume: the stored index stays absolute
    agents.calls.length = 0;
    agents.decide = (call) => (call.payload === 'tune.sh' ? { output: '', err: 'tune failed', status: 2 } : undefined);
    await expect(lifecycle.resume({ vnfr })).rejects.toThrow(/tune failed/);
    expect(agents.of('EXECUTE').filter((c) => c.endsWith('install.sh'))).toEqual([]);
    expect(await store.get('vnfr-1')).toMatchObject({ event: 'INSTANTIATE', scriptIndex: 2, scriptName: 'tune.sh' });

    agents.calls.length = 0;
    agents.decide = () => undefined;
    expect(await lifecycle.resume({ vnfr })).toEqual({ action: 'INSTANTIATE', event: 'INSTANTIATE' });
    expect(agents.of('EXECUTE')).toEqual(['web-1:tune.sh', 'web-2:tune.sh']);
    expect(await store.get('vnfr-1')).toBeUndefined();
    await expect(lifecycle.resume({ vnfr })).rejects.toThrow(NothingToResumeError);
  });

  it('resume works from a new instance on the same file store (VNFM restart) and maps CONFIGURE to MODIFY', async () => {
    const directory = await tempDir();
    const first = await setup({ store: new FileResumeStore({ directory }) });
    const vnfr = makeVnfr();
    const dependency = { vnfcParameters: { db: { parameters: { d1: { parameters: { private: '10.9.0.1' } } } } } };
    first.agents.decide = (call) => (call.payload === 'configure.sh' ? { output: '', err: 'no', status: 1 } : undefined);
    await expect(first.lifecycle.modify({ vnfr, dependency })).rejects.toThrow(ScriptFailedError);

    const second = await setup({ store: new FileResumeStore({ directory }) });
    expect(await second.lifecycle.resume({ vnfr, dependency })).toEqual({ action: 'MODIFY', event: 'CONFIGURE' });
    expect(second.agents.of('EXECUTE')).toEqual(['web-1:configure.sh', 'web-2:configure.sh']);
    expect(second.agents.of('SAVE_VNFR_DEPENDENCY')).toHaveLength(2);
  });

  it('START of one VNFC runs there only, and a failure there resumes there only', async () => {
    const { agents, lifecycle, store } = await setup();
    const vnfr = makeVnfr();
    agents.decide = () => ({ output: '', err: 'down', status: 1 });
    await expect(lifecycle.start({ vnfr, vnfc: { id: 'c2', hostname: 'web-2' } })).rejects.toThrow(/web-2/);
    expect(await store.get('vnfr-1')).toMatchObject({ event: 'START', vnfcHostnames: ['web-2'] });
    agents.decide = () => undefined;
    agents.calls.length = 0;
    expect((await lifecycle.resume({ vnfr })).action).toBe('START');
    expect(agents.of('EXECUTE')).toEqual(['web-2:start.sh']);
  });

  it('TERMINATE runs its scripts then forgets record, logs and agents', async () => {
    const { agents, lifecycle, store, logs } = await setup();
    const vnfr = makeVnfr();
    await store.record({
      vnfrId: 'vnfr-1',
      vnfrName: 'web',
      event: 'START',
      scriptIndex: 0,
      scriptName: 'start.sh',
      hostname: 'web-1',
      at: 'x',
    });
    await lifecycle.terminate({ vnfr });
    expect(agents.of('EXECUTE')).toEqual(['web-1:terminate.sh', 'web-2:terminate.sh']);
    expect(await store.get('vnfr-1')).toBeUndefined();
    expect(agents.forgotten.sort()).toEqual(['web-1', 'web-2']);
    expect(await logs.read('web', 'web-1')).toEqual({ outputLog: [], errorLog: [] });
  });

  it('SCALE_OUT works on the new VNFC only, configures with the dependency, skips START for standby', async () => {
    const { agents, lifecycle } = await setup();
    const vnfr = makeVnfr();
    const fresh = { id: 'c3', hostname: 'web-3', state: 'STANDBY', ips: [{ netName: 'private', ip: '10.0.0.3' }] };
    vnfr.vdu[0]!.vnfc_instance.push(fresh);
    const dependency = { vnfcParameters: { db: { parameters: { d1: { parameters: { private: '10.9.0.1' } } } } } };
    await lifecycle.scaleOut({ vnfr, vnfc: fresh, scripts: { files }, dependency });
    expect(new Set(agents.calls.map((c) => c.hostname))).toEqual(new Set(['web-3']));
    expect(agents.of('EXECUTE')).toEqual([
      'web-3:install.sh',
      'web-3:setup.sh',
      'web-3:tune.sh',
      'web-3:db_configure.sh',
      'web-3:configure.sh',
    ]);
    const typed = agents.calls.find((c) => c.payload === 'db_configure.sh');
    expect(typed?.env).toMatchObject({ db_private: '10.9.0.1', private: '10.0.0.3', hostname: 'web-3', answer: '42' });

    agents.calls.length = 0;
    const active = { id: 'c4', hostname: 'web-3', ips: [] };
    await lifecycle.scaleOut({ vnfr, vnfc: active, scripts: { files } });
    expect(agents.of('EXECUTE').at(-1)).toBe('web-3:start.sh');
    expect(agents.of('EXECUTE').some((c) => c.includes('configure'))).toBe(false);
  });

  it("SCALE_IN runs on all VNFCs with removing_*, then forgets the removed VNFC's agent; never recorded", async () => {
    const { agents, lifecycle, store } = await setup();
    const vnfr = makeVnfr();
    vnfr.lifecycle_event.push({ event: 'SCALE_IN', lifecycle_events: ['scale_in.sh'] });
    await lifecycle.scaleIn({ vnfr, removed: { hostname: 'db-7', ips: [{ netName: 'private', ip: '10.9.0.7' }] } });
    expect(agents.calls.map((c) => c.env?.removing_private)).toEqual(['10.9.0.7', '10.9.0.7']);
    expect(agents.forgotten).toEqual(['db-7']);
    agents.decide = () => ({ output: '', err: 'x', status: 1 });
    await expect(lifecycle.scaleIn({ vnfr, removed: { hostname: 'db-7' } })).rejects.toThrow(ScriptFailedError);
    expect(await store.get('vnfr-1')).toBeUndefined();
  });

  it('HEAL runs the HEAL scripts with cause on the given VNFC; switchToStandby starts the standby one', async () => {
    const { agents, lifecycle } = await setup();
    const vnfr = makeVnfr();
    await lifecycle.heal({ vnfr, vnfc: { id: 'c1' }, cause: 'serviceDown' });
    expect(agents.calls.map((c) => [c.hostname, c.payload, c.env?.cause])).toEqual([['web-1', 'heal.sh', 'serviceDown']]);

    agents.calls.length = 0;
    vnfr.vdu[0]!.vnfc_instance[0]!.state = 'standby';
    const requested = { id: 'c2', hostname: 'web-2', state: 'standby' };
    await lifecycle.heal({ vnfr, vnfc: requested, cause: 'switchToStandby' });
    expect(agents.of('EXECUTE')).toEqual(['web-2:start.sh']);
    expect(vnfr.vdu[0]!.vnfc_instance[0]!.state).toBe('ACTIVE');
    expect(requested.state).toBe('ACTIVE');

    agents.calls.length = 0;
    await lifecycle.heal({ vnfr, vnfc: { id: 'c1' }, cause: 'switchToStandby' });
    expect(agents.calls).toEqual([]);
  });

  it('UPDATE pushes a script to every VNFC, or runs the UPDATE scripts', async () => {
    const { agents, lifecycle } = await setup();
    const vnfr = makeVnfr();
    await lifecycle.update({ vnfr, script: { name: 'start.sh', content: Buffer.from('echo fixed') } });
    expect(agents.of('SCRIPTS_UPDATE')).toEqual(['web-1:start.sh', 'web-2:start.sh']);
    expect(agents.files.get('web-2')?.get('start.sh')).toBe('echo fixed');
    await lifecycle.update({ vnfr });
    expect(agents.of('EXECUTE')).toEqual(['web-1:update.sh', 'web-2:update.sh']);
  });

  it('EXECUTE saves and runs an ad-hoc script without env; a failure is not resumable', async () => {
    const { agents, lifecycle, store, logs } = await setup();
    const vnfr = makeVnfr();
    await lifecycle.executeScript({ vnfr, script: { name: 'adhoc.sh', content: Buffer.from('echo hi') } });
    expect(agents.of('SAVE_SCRIPTS')).toEqual(['web-1:adhoc.sh', 'web-2:adhoc.sh']);
    expect(agents.calls.filter((c) => c.action === 'EXECUTE').every((c) => c.env === undefined)).toBe(true);
    expect((await logs.read('web', 'web-1')).outputLog).toContain('Output of Script : adhoc.sh');
    agents.decide = (call) => (call.action === 'EXECUTE' ? { output: '', err: 'nope', status: 9 } : undefined);
    await expect(lifecycle.executeScript({ vnfr, script: { name: 'adhoc.sh', content: Buffer.from('x') } })).rejects.toThrow(
      /status 9: nope/,
    );
    expect(await store.get('vnfr-1')).toBeUndefined();
  });

  it('ERROR scripts failing are only logged and never replace an earlier record', async () => {
    const { agents, lifecycle, store } = await setup();
    const vnfr = makeVnfr();
    agents.decide = () => ({ output: '', err: 'x', status: 1 });
    await expect(lifecycle.start({ vnfr })).rejects.toThrow();
    await lifecycle.error({ vnfr });
    expect((await store.get('vnfr-1'))?.event).toBe('START');
    await store.clear('vnfr-1');
    await lifecycle.error({ vnfr });
    expect((await store.get('vnfr-1'))?.event).toBe('ERROR');
  });

  it('skips events without a lifecycle entry', async () => {
    const { agents, lifecycle } = await setup();
    await lifecycle.stop({ vnfr: makeVnfr() });
    expect(agents.calls).toEqual([]);
  });
});
