import { describe, expect, it } from 'vitest';
import { countExecutions, planEvent, scriptNameOf, type ExecuteCommand } from '../../src/plan/index.js';

const serverA = { id: 'sa', hostname: 'iperf-server-2', ips: [{ netName: 'private', ip: '10.0.0.2' }] };
const serverB = { id: 'sb', hostname: 'iperf-server-1', ips: [{ netName: 'private', ip: '10.0.0.1' }] };

const vnfr = {
  id: 'vnfr-1',
  name: 'iperf-server',
  configurations: {
    configurationParameters: [
      { confKey: 'hostname', value: 'from-config' },
      { confKey: 'private', value: 'cfg-private' },
      { confKey: 'answer', value: '42' },
    ],
  },
  lifecycle_event: [
    { event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'setup.sh --fast x', 'install.sh'] },
    { event: 'CONFIGURE', lifecycle_events: ['client_configure.sh', 'configure.sh', 'client_again.sh', 'other.sh'] },
    { event: 'HEAL', lifecycle_events: ['heal.sh'] },
    { event: 'SCALE_IN', lifecycle_events: ['scale_in.sh'] },
  ],
  vdu: [{ vnfc_instance: [serverA, serverB] }],
};

const dependency = {
  parameters: { client: { parameters: { port: '5001' } } },
  vnfcParameters: {
    client: {
      parameters: {
        c1: { parameters: { private: '10.0.1.1' } },
        c2: { parameters: { private: '10.0.1.2' } },
      },
    },
  },
};

const executes = (commands: readonly { kind: string }[]) => commands.filter((c): c is ExecuteCommand => c.kind === 'execute');

describe('planEvent', () => {
  it('is script-major with VNFCs sorted by hostname and absolute script indexes', () => {
    const plan = planEvent({ event: 'INSTANTIATE', vnfr });
    expect(plan.hasLifecycleEntry).toBe(true);
    expect(plan.concurrency).toBe('parallel');
    expect(plan.steps.map((s) => [s.scriptIndex, s.scriptName, s.script])).toEqual([
      [0, 'install.sh', 'install.sh'],
      [1, 'setup.sh', 'setup.sh --fast x'],
      [2, 'install.sh', 'install.sh'],
    ]);
    for (const step of plan.steps) expect(step.vnfcs.map((w) => w.hostname)).toEqual(['iperf-server-1', 'iperf-server-2']);
    expect(countExecutions(plan)).toBe(6);
  });

  it('gives every VNFC its own variables over the configuration, fresh for each VNFC', () => {
    const plan = planEvent({ event: 'INSTANTIATE', vnfr });
    const [first, second] = plan.steps[0]!.vnfcs;
    expect(executes(first!.commands)[0]!.env).toEqual({ hostname: 'iperf-server-1', private: '10.0.0.1', answer: '42' });
    expect(executes(second!.commands)[0]!.env).toEqual({ hostname: 'iperf-server-2', private: '10.0.0.2', answer: '42' });
  });

  it('keeps configuration keys for VNFCs that lack a network of that name (no upstream deletion quirk)', () => {
    const bare = { ...vnfr, vdu: [{ vnfc_instance: [serverA, { id: 'sc', hostname: 'iperf-server-3' }] }] };
    const step = planEvent({ event: 'INSTANTIATE', vnfr: bare }).steps[0]!;
    expect(executes(step.vnfcs[1]!.commands)[0]!.env).toEqual({ hostname: 'iperf-server-3', private: 'cfg-private', answer: '42' });
  });

  it('resumes from an absolute script index and honours the VNFC subset and serial mode', () => {
    const plan = planEvent({ event: 'INSTANTIATE', vnfr, fromScriptIndex: 1, vnfcs: [serverA], concurrency: 'serial' });
    expect(plan.concurrency).toBe('serial');
    expect(plan.steps.map((s) => s.scriptIndex)).toEqual([1, 2]);
    expect(plan.steps[0]!.vnfcs.map((w) => w.hostname)).toEqual(['iperf-server-2']);
  });

  it('has no steps and says so when the VNFR has no lifecycle entry', () => {
    const plan = planEvent({ event: 'START', vnfr });
    expect(plan).toMatchObject({ hasLifecycleEntry: false, steps: [] });
  });

  it('fans typed CONFIGURE scripts out over source VNFCs and saves the dependency before the first untyped one', () => {
    const plan = planEvent({ event: 'CONFIGURE', vnfr, dependency });
    const [typed, untyped, typedAgain, otherUntyped] = plan.steps;
    for (const work of typed!.vnfcs) {
      expect(work.commands.map((c) => c.kind)).toEqual(['execute', 'execute']);
      expect(executes(work.commands).map((c) => [c.sourceVnfcId, c.env.client_private, c.env.client_port])).toEqual([
        ['c1', '10.0.1.1', '5001'],
        ['c2', '10.0.1.2', '5001'],
      ]);
      // own variables are still there
      expect(executes(work.commands)[0]!.env.hostname).toBe(work.hostname);
    }
    for (const work of untyped!.vnfcs) {
      expect(work.commands.map((c) => c.kind)).toEqual(['save-dependency', 'execute']);
      const save = work.commands[0]!;
      expect(save.kind === 'save-dependency' && JSON.parse(save.payload)).toEqual(dependency);
      expect(Object.keys(executes(work.commands)[0]!.env).some((k) => k.startsWith('client_'))).toBe(false);
    }
    expect(typedAgain!.vnfcs.every((w) => w.commands.length === 2)).toBe(true);
    expect(otherUntyped!.vnfcs.every((w) => w.commands.map((c) => c.kind).join() === 'execute')).toBe(true);
    // MODIFY fan-out count: 2 own × 2 sources × 2 typed scripts + 2 own × 2 untyped scripts
    expect(countExecutions(plan)).toBe(12);
  });

  it('resuming CONFIGURE after the first untyped script saves the dependency again before the next untyped one', () => {
    const plan = planEvent({ event: 'CONFIGURE', vnfr, dependency, fromScriptIndex: 2 });
    expect(plan.steps[1]!.vnfcs[0]!.commands.map((c) => c.kind)).toEqual(['save-dependency', 'execute']);
  });

  it('runs CONFIGURE scripts untyped and saves nothing without a dependency', () => {
    const plan = planEvent({ event: 'CONFIGURE', vnfr });
    expect(plan.steps.every((s) => s.vnfcs.every((w) => w.commands.map((c) => c.kind).join() === 'execute'))).toBe(true);
  });

  it('adds cause for HEAL and unsanitised removing_* for SCALE_IN', () => {
    const heal = planEvent({ event: 'HEAL', vnfr, vnfcs: [serverA], cause: 'serviceDown' });
    expect(executes(heal.steps[0]!.vnfcs[0]!.commands)[0]!.env.cause).toBe('serviceDown');
    const removed = { hostname: 'peer-7', ips: [{ netName: 'net-x', ip: '10.9.9.9' }], floatingIps: [{ netName: 'net-x', ip: '1.2.3.4' }] };
    const scaleIn = planEvent({ event: 'SCALE_IN', vnfr, removed });
    const env = executes(scaleIn.steps[0]!.vnfcs[0]!.commands)[0]!.env;
    expect(env).toMatchObject({ 'removing_net-x': '10.9.9.9', 'removing_net-x_floatingIp': '1.2.3.4', removing_hostname: 'peer-7' });
  });

  it('is deterministic regardless of the VNFC order in the record', () => {
    const swapped = { ...vnfr, vdu: [{ vnfc_instance: [serverB, serverA] }] };
    expect(planEvent({ event: 'CONFIGURE', vnfr: swapped, dependency })).toEqual(planEvent({ event: 'CONFIGURE', vnfr, dependency }));
  });
});

describe('scriptNameOf', () => {
  it('is the first word of the script string', () => {
    expect(scriptNameOf('install.sh a b')).toBe('install.sh');
    expect(scriptNameOf('  x.py  ')).toBe('x.py');
  });
});
