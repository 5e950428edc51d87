// Lifecycle plug-ins end to end: real RabbitMQ, real vnfkit-ems processes. The example health-check plug-in
// (plugins/health-check.ts, loaded from configuration) checks a TCP service after START and picks the least
// loaded VNFC for scale-in; an inline plug-in that throws fails only its VNF type.
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { NetworkServiceDescriptor, VirtualNetworkFunctionDescriptor } from '@vnfkit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericVnfmConfig } from '../../src/config.js';
import { GenericVnfm } from '../../src/generic-vnfm.js';
import { defineLifecyclePlugin } from '../../src/plugins/index.js';
import { privateVhost, runs, scripts, startHarness, type Harness } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());

const HEALTH_CHECK = join(import.meta.dirname, '..', '..', 'plugins', 'health-check.ts');
const cp = [{ connection_point: [{ virtual_link_reference: 'private' }] }];
/** The package's own load metric, read by the plug-in's load script: the `sessions` file the test writes. */
const LOAD_SH = '#!/bin/bash\ncat "$SCRIPTS_PATH/sessions" 2>/dev/null || echo 0\n';
const vnfd = (input: { name: string; type: string; endpoint: string; port: number; vnfcs: number }): VirtualNetworkFunctionDescriptor => ({
  name: input.name,
  type: input.type,
  endpoint: input.endpoint,
  configurations: { name: 'c', configurationParameters: [{ confKey: 'port', value: String(input.port) }] },
  lifecycle_event: [
    { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
    { event: 'START', lifecycle_events: ['start.sh'] },
  ],
  vdu: [{ name: `${input.name}-vdu`, scale_in_out: 3, vnfc: Array.from({ length: input.vnfcs }, () => cp[0] ?? {}) }],
});
const ns = (name: string, vnfds: VirtualNetworkFunctionDescriptor[]): NetworkServiceDescriptor => ({ name, vnfd: vnfds });
const pkg = { scripts: { ...scripts(['install.sh', 'start.sh']), 'load.sh': LOAD_SH } };

/** A TCP service on every address of this host, the VMs' 127.x ones included (LocalVim's VMs are processes here). */
async function service(): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { server, port: (server.address() as { port: number }).port, connections: () => connections };
}
/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const { server, port } = await service();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const lastHistory = (h: Harness, nsrId: string, name: string): string =>
  h.sim.vnfr(nsrId, name).lifecycle_event_history?.at(-1)?.description ?? '';
async function waitForVnfrStatus(h: Harness, nsrId: string, want: { name: string; status: string }): Promise<void> {
  const { name, status } = want;
  const deadline = Date.now() + 45_000;
  const statusOf = (): string | undefined => {
    try {
      return h.sim.vnfr(nsrId, name).status ?? undefined;
    } catch {
      return undefined; // not created yet
    }
  };
  while (statusOf() !== status) {
    if (Date.now() > deadline) throw new Error(`VNFR ${name} is ${statusOf()}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.sequential('lifecycle plug-ins', () => {
  let h: Harness;
  let svc: Awaited<ReturnType<typeof service>>;
  const thrower = defineLifecyclePlugin({
    name: 'thrower',
    serves: { types: ['fragile'] },
    around: {
      start: async (ctx, next) => {
        await next();
        throw new Error(`cannot check ${ctx.vnfcs.length} VNFC(s)`);
      },
    },
  });
  beforeAll(async () => {
    svc = await service();
    h = await startHarness({ url: vhost.url, pluginModules: [HEALTH_CHECK], plugins: [thrower] });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    svc.server.close();
  });

  it('health check passes: the service answers every VNFC → ACTIVE; after a scale-out too', async () => {
    const nsrId = await h.sim.deploy(ns('web-ns', [vnfd({ name: 'web', type: 'server', endpoint: h.type, port: svc.port, vnfcs: 2 })]), {
      packages: { web: pkg },
    });
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    expect(svc.connections()).toBe(2);
    expect(await runs(h.vim, 'web-1')).toEqual(['install.sh', 'start.sh']);
    await h.sim.scaleOut(nsrId, 'web');
    await h.sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(svc.connections()).toBe(3);

    // The scale-in choice: each VNFC's agent reports its load (the package's load.sh); the least loaded one goes.
    const loads: Record<string, string> = { 'web-1': '9', 'web-2': '2', 'web-3': '5' };
    for (const [hostname, sessions] of Object.entries(loads))
      await writeFile(join(h.vim.scriptsDir(hostname), 'sessions'), `${sessions}\n`);
    const chosen = await h.vnfm.chooseScaleIn(h.sim.vnfr(nsrId, 'web'));
    expect(chosen?.hostname).toBe('web-2');
    await h.sim.scaleIn(nsrId, 'web', chosen?.hostname ?? '');
    expect(
      h.sim
        .vnfr(nsrId, 'web')
        .vdu?.[0]?.vnfc_instance?.map((v) => v.hostname)
        .sort(),
    ).toEqual(['web-1', 'web-3']);
    await h.sim.terminate(nsrId);
  });

  it('health check fails: nothing answers → ERROR naming the plug-in', async () => {
    const port = await closedPort();
    const nsrId = await h.sim.deploy(ns('dead-ns', [vnfd({ name: 'dead', type: 'server', endpoint: h.type, port, vnfcs: 1 })]), {
      packages: { dead: pkg },
    });
    await h.sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 45_000 });
    expect(await runs(h.vim, 'dead-1')).toEqual(['install.sh', 'start.sh']);
    expect(lastHistory(h, nsrId, 'dead')).toContain(
      `lifecycle plug-in "health-check" failed START of VNFR dead: the service of dead-1 does not answer: nothing answers on 127.`,
    );
    await h.sim.terminate(nsrId);
  });

  it('a throwing plug-in fails only its VNF type, with an ERROR naming it', async () => {
    const nsrId = await h.sim.deploy(
      ns('mixed-ns', [
        vnfd({ name: 'fragile', type: 'fragile', endpoint: h.type, port: svc.port, vnfcs: 1 }),
        vnfd({ name: 'plain', type: 'plain', endpoint: h.type, port: svc.port, vnfcs: 1 }),
      ]),
      { packages: { fragile: pkg, plain: pkg } },
    );
    await waitForVnfrStatus(h, nsrId, { name: 'fragile', status: 'ERROR' });
    await waitForVnfrStatus(h, nsrId, { name: 'plain', status: 'ACTIVE' });
    expect(lastHistory(h, nsrId, 'fragile')).toContain('lifecycle plug-in "thrower" failed START of VNFR fragile: cannot check 1 VNFC(s)');
    expect(await runs(h.vim, 'plain-1')).toEqual(['install.sh', 'start.sh']);
    await h.sim.terminate(nsrId);
  });

  it('a plug-in that fails to load stops the VNFM at start, naming it', async () => {
    const config = GenericVnfmConfig.parse({
      amqpUrl: vhost.url,
      type: `${h.type}x`,
      endpoint: `${h.type}x`,
      plugins: `${HEALTH_CHECK}, ./no/such/plugin.js`,
      logLevel: 'silent',
    });
    const vnfm = new GenericVnfm({ config, bootstrapCredentials: { username: 'guest', password: 'guest' } });
    await expect(vnfm.connect()).rejects.toThrow(/^cannot load lifecycle plug-in "\.\/no\/such\/plugin\.js": .*does not exist$/);
    expect(vnfm.state).not.toBe('running');
  });
});
