// EmsClient's bundled commands over the real RabbitMQ: a real vnfkit-ems (hello `bundles: 'v2'`) gets several files in
// one SAVE_SCRIPTS, or within an EXECUTE, and a dependency within its EXECUTE; an agent whose hello says `'v1'` gets the
// files in a SAVE_SCRIPTS first; one whose hello says nothing (Open Baton's EMS, here a stand-in on the broker) gets
// one command per file and SAVE_VNFR_DEPENDENCY before the EXECUTE.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emsActionsQueue, emsRegisterQueue } from '@vnfkit/protocol';
import { createAmqpTransport, type Transport } from '@vnfkit/transport';
import { EmsClient } from '../../src/ems/ems-client.js';
import { spawnEndpointAgent } from '../helpers/agent-process.js';
import { standInAgent } from '../helpers/stand-in-agent.js';
import { AMQP_URL, uniqueName } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const dependency = {
  target: 'client',
  parameters: { server: { parameters: { private: '10.0.0.7' } } },
  vnfcParameters: { server: { parameters: { a: { parameters: { hostname: 'server-1' } } } } },
};
const files = [
  { name: 'one.sh', content: 'echo one\n' },
  { name: 'two.sh', content: '. ./ob_parameters.sh; echo "two $OB_server_VNF_private"\n' },
  { name: 'three.sh', content: 'echo three\n' },
];

/** The EmsClient on a transport whose requests (one per agent command) are counted per queue. */
async function client(endpoint: string): Promise<{ ems: EmsClient; sent: string[]; transport: Transport }> {
  const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: endpoint });
  cleanups.push(() => transport.close());
  const sent: string[] = [];
  const counting = new Proxy(transport, {
    get(target, property, receiver) {
      if (property === 'request')
        return (exchange: string, routingKey: string, ...rest: unknown[]) => {
          sent.push(routingKey);
          return (target.request as (...args: unknown[]) => unknown)(exchange, routingKey, ...rest);
        };
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const ems = new EmsClient({ transport: counting, endpoint, commandTimeoutMs: 20_000, helloTimeoutMs: 20_000 });
  await ems.start();
  cleanups.push(() => ems.stop());
  return { ems, sent, transport };
}

/** A counting client and a real vnfkit-ems on a fresh endpoint, registered. */
async function withVnfkitAgent(prefix: string) {
  const endpoint = uniqueName(prefix).replace(/-/g, '');
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-bundles-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { ems, sent } = await client(endpoint);
  const { hostname, scripts } = spawnEndpointAgent({ amqpUrl: AMQP_URL, endpoint, dir, name: 'vm', cleanups });
  await ems.waitForAgent(hostname);
  return { ems, sent, hostname, scripts };
}

describe('EmsClient bundled commands', () => {
  it('to a vnfkit agent: every file in one SAVE_SCRIPTS, the dependency within the EXECUTE', async () => {
    const { ems, sent, hostname, scripts } = await withVnfkitAgent('bundle');
    expect(ems.acceptsBundles(hostname)).toBe(true);
    const saved = await ems.saveScripts(hostname, files);
    expect(saved).toMatchObject({ status: 0, output: "['one.sh', 'three.sh', 'two.sh']" });
    const reply = await ems.execute(hostname, { payload: 'two.sh', env: {}, dependency });
    expect(reply).toMatchObject({ status: 0, output: 'two 10.0.0.7\n' });
    expect(JSON.parse(await readFile(join(scripts, 'ob_parameters.json'), 'utf8'))).toEqual(dependency);
    // Two commands in all: one SAVE_SCRIPTS, one EXECUTE.
    expect(sent).toEqual([emsActionsQueue(hostname), emsActionsQueue(hostname)]);
    ems.forget(hostname);
    expect(ems.acceptsBundles(hostname)).toBe(false);
  });

  it('to a vnfkit agent: the package and the dependency within one EXECUTE', async () => {
    const { ems, sent, hostname, scripts } = await withVnfkitAgent('bundle2');
    expect(ems.acceptsFilesWithExecute(hostname)).toBe(true);
    const reply = await ems.execute(hostname, { payload: 'two.sh', env: {}, dependency, files });
    expect(reply).toMatchObject({ status: 0, output: 'two 10.0.0.7\n' });
    expect(await readFile(join(scripts, 'three.sh'), 'utf8')).toBe('echo three\n');
    expect(sent).toEqual([emsActionsQueue(hostname)]);
    // Files the agent refuses: the script does not run, the error says why.
    await expect(ems.execute(hostname, { payload: 'one.sh', env: {}, files: [{ name: '../x.sh', content: 'x' }] })).rejects.toThrow(
      /exit status 1: EXECUTE of "one.sh" not run: SAVE_SCRIPTS refused: script name "..\/x.sh"/,
    );
    ems.forget(hostname);
    expect(ems.acceptsFilesWithExecute(hostname)).toBe(false);
  });

  it("to an agent whose hello says `bundles: 'v1'`: the files in one SAVE_SCRIPTS before the EXECUTE", async () => {
    const endpoint = uniqueName('bundle1').replace(/-/g, '');
    const hostname = `${endpoint}-vm-1`;
    const { ems, transport } = await client(endpoint);
    const received = await standInAgent(transport, hostname);
    await transport.publish('', emsRegisterQueue(endpoint), JSON.stringify({ hostname, bundles: 'v1' }));
    await ems.waitForAgent(hostname);
    expect(ems.acceptsBundles(hostname)).toBe(true);
    expect(ems.acceptsFilesWithExecute(hostname)).toBe(false);
    await ems.execute(hostname, { payload: 'two.sh', env: {}, dependency, files });
    expect(received.map((c) => `${c.action} ${'name' in c ? c.name : c.payload}`)).toEqual(['SAVE_SCRIPTS one.sh', 'EXECUTE two.sh']);
    expect(received[0]).toMatchObject({ files: [{ name: 'two.sh' }, { name: 'three.sh' }] });
    expect(received[1]).toMatchObject({ dependency: JSON.stringify(dependency, null, 2) });
    expect('files' in (received[1] ?? {})).toBe(false);
  });

  it("to an agent whose hello does not say `bundles` (Open Baton's EMS): one command per file, SAVE_VNFR_DEPENDENCY first", async () => {
    const endpoint = uniqueName('nobundle').replace(/-/g, '');
    const hostname = `${endpoint}-vm-1`;
    const { ems, transport } = await client(endpoint);
    // The stand-in: hello `{"hostname": …}` only, and every command recorded and answered with status 0.
    const received = await standInAgent(transport, hostname);
    await transport.publish('', emsRegisterQueue(endpoint), JSON.stringify({ hostname }));
    await ems.waitForAgent(hostname);
    expect(ems.acceptsBundles(hostname)).toBe(false);
    await ems.saveScripts(hostname, files);
    await ems.execute(hostname, { payload: 'two.sh', env: {}, dependency });
    expect(received.map((c) => `${c.action} ${'name' in c ? c.name : c.payload.slice(0, 12)}`)).toEqual([
      'SAVE_SCRIPTS one.sh',
      'SAVE_SCRIPTS two.sh',
      'SAVE_SCRIPTS three.sh',
      `SAVE_VNFR_DEPENDENCY ${JSON.stringify(dependency, null, 2).slice(0, 12)}`,
      'EXECUTE two.sh',
    ]);
    expect(received.some((c) => 'files' in c || 'dependency' in c)).toBe(false);
  });
});
