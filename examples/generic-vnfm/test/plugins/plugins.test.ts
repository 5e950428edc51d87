// Lifecycle plug-ins without broker: shape checks, the loader, and the dispatcher's wrap / replace / veto / choose rules.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ScriptFailedError } from '../../src/errors.js';
import { adjustPlan } from '../../src/lifecycle/generic-lifecycle.js';
import { planEvent } from '../../src/plan/index.js';
import {
  defineLifecyclePlugin,
  LifecyclePluginError,
  LifecyclePlugins,
  loadLifecyclePlugins,
  PluginLoadError,
  type LifecyclePlugin,
} from '../../src/plugins/index.js';
import { FakeAgents } from '../helpers/fake-agents.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const vnfr = (type = 'server', name = 'web'): VirtualNetworkFunctionRecord =>
  ({
    id: 'vnfr-1',
    name,
    type,
    lifecycle_event: [{ event: 'START', lifecycle_events: ['start.sh'] }],
    vdu: [
      {
        vnfc_instance: [
          { id: 'c1', hostname: 'web-1' },
          { id: 'c2', hostname: 'web-2' },
        ],
      },
    ],
  }) as VirtualNetworkFunctionRecord;

const dispatcher = (plugins: LifecyclePlugin[], agents = new FakeAgents(['web-1', 'web-2'])) => ({
  agents,
  plugins: new LifecyclePlugins({ plugins, agents }),
});
const startInput = (record: VirtualNetworkFunctionRecord) => ({
  vnfr: record,
  vnfcs: record.vdu?.[0]?.vnfc_instance ?? [],
  vnfc: undefined,
});

describe('defineLifecyclePlugin', () => {
  it('refuses a plug-in without name, without anything served, or with an unknown hook', () => {
    expect(() => defineLifecyclePlugin({ name: '', serves: { types: ['x'] } })).toThrow(/no name/);
    expect(() => defineLifecyclePlugin({ name: 'p', serves: {} })).toThrow(/serves no VNF type/);
    expect(() => defineLifecyclePlugin({ name: 'p', serves: { types: ['x'] }, around: { begin: async () => undefined } as never })).toThrow(
      /unknown hook around.begin/,
    );
    expect(defineLifecyclePlugin({ name: 'p', serves: { vnfdNames: ['web'] } }).name).toBe('p');
  });
});

describe('LifecyclePlugins.run', () => {
  it('runs the generic flow alone for a VNFR no plug-in serves, and for an event the plug-in leaves alone', async () => {
    const calls: string[] = [];
    const { plugins } = dispatcher([
      defineLifecyclePlugin({
        name: 'p',
        serves: { types: ['other'] },
        around: {
          start: async () => {
            calls.push('plugin');
          },
        },
      }),
    ]);
    await plugins.run('start', startInput(vnfr()), async () => {
      calls.push('generic');
    });
    const { plugins: stopOnly } = dispatcher([
      defineLifecyclePlugin({
        name: 'p',
        serves: { types: ['server'] },
        around: {
          stop: async () => {
            calls.push('plugin');
          },
        },
      }),
    ]);
    await stopOnly.run('start', startInput(vnfr()), async () => {
      calls.push('generic');
    });
    expect(calls).toEqual(['generic', 'generic']);
  });

  it('wraps in load order, matches by type or VNFD name, and passes the adjustments of every plug-in to the generic flow', async () => {
    const calls: string[] = [];
    const seen: unknown[] = [];
    const outer = defineLifecyclePlugin({
      name: 'outer',
      serves: { types: ['server'] },
      around: {
        start: async (ctx, next) => {
          calls.push(`outer ${ctx.event} ${ctx.vnfcs.length}`);
          await next({ env: { a: '1', b: '1' } });
          calls.push('outer after');
        },
      },
    });
    const inner = defineLifecyclePlugin({
      name: 'inner',
      serves: { vnfdNames: ['web'] },
      around: {
        start: async (_ctx, next) => {
          calls.push('inner');
          await next({ env: { b: '2' } });
        },
      },
    });
    const { plugins } = dispatcher([outer, inner]);
    await plugins.run('start', startInput(vnfr()), async (adjust) => {
      calls.push('generic');
      seen.push(adjust?.env);
    });
    expect(calls).toEqual(['outer START 2', 'inner', 'generic', 'outer after']);
    expect(seen).toEqual([{ a: '1', b: '2' }]);
  });

  it('lets a plug-in replace the event (no next) and send its own agent commands', async () => {
    const { plugins, agents } = dispatcher([
      defineLifecyclePlugin({
        name: 'own-start',
        serves: { types: ['server'] },
        around: {
          start: async (ctx) => {
            for (const vnfc of ctx.vnfcs) await ctx.agent.execute(vnfc, 'my-start.sh --fast', { env: { mode: 'fast' } });
          },
        },
      }),
    ]);
    let generic = false;
    await plugins.run('start', startInput(vnfr()), async () => {
      generic = true;
    });
    expect(generic).toBe(false);
    expect(agents.calls.map((c) => `${c.hostname} ${c.action} ${c.payload} ${JSON.stringify(c.env)}`)).toEqual([
      'web-1 EXECUTE my-start.sh --fast {"mode":"fast"}',
      'web-2 EXECUTE my-start.sh --fast {"mode":"fast"}',
    ]);
  });

  it('turns a throwing hook or ctx.fail into an error naming the plug-in, and leaves failures of next() as they are', async () => {
    const thrower = defineLifecyclePlugin({
      name: 'thrower',
      serves: { types: ['server'] },
      around: {
        start: async () => {
          throw new Error('boom');
        },
      },
    });
    await expect(dispatcher([thrower]).plugins.run('start', startInput(vnfr()), async () => undefined)).rejects.toThrow(
      'lifecycle plug-in "thrower" failed START of VNFR web: boom',
    );
    const veto = defineLifecyclePlugin({
      name: 'veto',
      serves: { types: ['server'] },
      around: { start: async (ctx) => ctx.fail('not today') },
    });
    const error = await dispatcher([veto])
      .plugins.run('start', startInput(vnfr()), async () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecyclePluginError);
    expect(error).toMatchObject({
      plugin: 'veto',
      event: 'START',
      message: 'lifecycle plug-in "veto" failed START of VNFR web: not today',
    });
    const scriptFailure = new ScriptFailedError({
      vnfrId: 'vnfr-1',
      vnfrName: 'web',
      event: 'START',
      scriptIndex: 0,
      scriptName: 'start.sh',
      script: 'start.sh',
      hostname: 'web-1',
      command: 'EXECUTE',
      exitStatus: 1,
    });
    const passThrough = defineLifecyclePlugin({
      name: 'wrapper',
      serves: { types: ['server'] },
      around: { start: async (_ctx, next) => next() },
    });
    await expect(
      dispatcher([passThrough, thrower]).plugins.run('start', startInput(vnfr()), async () => {
        throw scriptFailure;
      }),
    ).rejects.toThrow('"thrower"');
    await expect(
      dispatcher([passThrough]).plugins.run('start', startInput(vnfr()), async () => {
        throw scriptFailure;
      }),
    ).rejects.toBe(scriptFailure);
  });
});

describe('LifecyclePlugins.chooseScaleIn', () => {
  it("returns the first choice, the VNFR's own VNFC; undefined without preference; an error for a VNFC not of the VNFR", async () => {
    const none = defineLifecyclePlugin({ name: 'none', serves: { types: ['server'] }, chooseScaleIn: () => undefined });
    const last = defineLifecyclePlugin({
      name: 'last',
      serves: { types: ['server'] },
      chooseScaleIn: ({ candidates }) => ({ hostname: candidates.at(-1)?.hostname ?? '' }),
    });
    expect((await dispatcher([none, last]).plugins.chooseScaleIn(vnfr()))?.id).toBe('c2');
    expect(await dispatcher([none]).plugins.chooseScaleIn(vnfr())).toBeUndefined();
    const stranger = defineLifecyclePlugin({
      name: 'stranger',
      serves: { types: ['server'] },
      chooseScaleIn: () => ({ hostname: 'elsewhere' }),
    });
    await expect(dispatcher([stranger]).plugins.chooseScaleIn(vnfr())).rejects.toThrow(
      'lifecycle plug-in "stranger" failed the SCALE_IN choice of VNFR web: it chose elsewhere, which is not a VNFC of the VNFR',
    );
  });
});

describe('adjustPlan', () => {
  it('merges the environment over every EXECUTE and then rewrites the plan', () => {
    const plan = planEvent({ event: 'START', vnfr: vnfr() });
    const adjusted = adjustPlan(plan, {
      env: { hostname: 'over', extra: 'x' },
      plan: (p) => ({ ...p, steps: [...p.steps, { ...p.steps[0]!, script: 'check.sh', scriptName: 'check.sh' }] }),
    });
    const first = adjusted.steps[0]?.vnfcs[0]?.commands[0];
    expect(first).toMatchObject({ kind: 'execute', payload: 'start.sh', env: { hostname: 'over', extra: 'x' } });
    expect(adjusted.steps.map((s) => s.script)).toEqual(['start.sh', 'check.sh']);
    expect(plan.steps[0]?.vnfcs[0]?.commands[0]).toMatchObject({ env: { hostname: 'web-1' } });
  });
});

describe('loadLifecyclePlugins', () => {
  const dir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'vnfkit-plugins-'));
    dirs.push(d);
    return d;
  };

  it('loads files, directories and lists in order', async () => {
    const d = await dir();
    await writeFile(join(d, 'a.mjs'), "export default { name: 'a', serves: { types: ['t'] } };\n");
    await writeFile(
      join(d, 'b.mjs'),
      "export default [{ name: 'b1', serves: { types: ['t'] } }, { name: 'b2', serves: { vnfdNames: ['n'] } }];\n",
    );
    await writeFile(join(d, 'notes.txt'), 'not a module');
    expect((await loadLifecyclePlugins([join(d, 'b.mjs')])).map((p) => p.name)).toEqual(['b1', 'b2']);
    expect((await loadLifecyclePlugins(['.'], { baseDir: d })).map((p) => p.name)).toEqual(['a', 'b1', 'b2']);
  });

  it('fails with the entry named: missing file, module that throws, export that is no plug-in, duplicate names', async () => {
    const d = await dir();
    await writeFile(join(d, 'throws.mjs'), "throw new Error('cannot start');\n");
    await writeFile(join(d, 'nothing.mjs'), 'export const x = 1;\n');
    await writeFile(join(d, 'bad.mjs'), "export default { name: 'bad', serves: {} };\n");
    await writeFile(join(d, 'a.mjs'), "export default { name: 'a', serves: { types: ['t'] } };\n");
    await expect(loadLifecyclePlugins(['./missing.mjs'], { baseDir: d })).rejects.toThrow(
      /cannot load lifecycle plug-in "\.\/missing\.mjs": .*missing\.mjs does not exist/,
    );
    await expect(loadLifecyclePlugins(['./throws.mjs'], { baseDir: d })).rejects.toThrow(
      'cannot load lifecycle plug-in "./throws.mjs": cannot start',
    );
    await expect(loadLifecyclePlugins(['./nothing.mjs'], { baseDir: d })).rejects.toThrow(
      /"\.\/nothing\.mjs": the module has no default export/,
    );
    await expect(loadLifecyclePlugins(['./bad.mjs'], { baseDir: d })).rejects.toThrow(
      /"\.\/bad\.mjs": its export is not a lifecycle plug-in: plug-in "bad" serves no VNF type/,
    );
    await expect(loadLifecyclePlugins(['./a.mjs', './a.mjs'], { baseDir: d })).rejects.toThrow(/"a": two plug-ins have this name/);
    await expect(loadLifecyclePlugins(['@vnfkit/no-such-plugin'])).rejects.toBeInstanceOf(PluginLoadError);
  });
});

describe('configuration', () => {
  it('takes plugins from VNFKIT_PLUGINS (comma-separated), an INI line or a JSON list; none by default', () => {
    const plugins = (input: Parameters<typeof loadConfig>[0]): string[] => {
      const loaded = loadConfig(input);
      return loaded.kind === 'run' ? loaded.config.plugins : [];
    };
    expect(plugins({})).toEqual([]);
    expect(plugins({ env: { VNFKIT_PLUGINS: './a.js, health-check-pkg ,' } })).toEqual(['./a.js', 'health-check-pkg']);
    expect(plugins({ argv: ['--config', 'f.ini'], readFile: () => 'plugins = ./p/\n' })).toEqual(['./p/']);
    expect(plugins({ argv: ['--config', 'f.json'], readFile: () => '{"plugins": ["./a.js", "./b.js"]}' })).toEqual(['./a.js', './b.js']);
  });
});
