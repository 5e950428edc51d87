// Where the VNFM keeps the VMs' pinned identities: a file (single VNFM) and a stream shared by replicas (real RabbitMQ).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newAgentIdentity } from '@vnfkit/protocol';
import { createAmqpTransport } from '@vnfkit/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { FileIdentityPins, MemoryIdentityPins, StreamIdentityPins } from '../../src/ems/identity-pins.js';
import { AMQP_URL, describeBroker, uniqueName } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});
const key = (): string => newAgentIdentity().publicKey;

describe('identity pins', () => {
  it('the first pin of a name wins; forget(host) drops every pin of that host, not of a host whose name it prefixes', async () => {
    const pins = new MemoryIdentityPins();
    const [k1, k2] = [key(), key()];
    expect(await pins.pin('vm-1#aa', k1)).toBe(k1);
    expect(await pins.pin('vm-1#aa', k2)).toBe(k1);
    await pins.pin('vm-1#bb', k2);
    await pins.pin('vm-10#aa', k2);
    await pins.forget(['vm-1']);
    expect(pins.get('vm-1#aa')).toBeUndefined();
    expect(pins.get('vm-1#bb')).toBeUndefined();
    expect(pins.get('vm-10#aa')).toBe(k2);
  });

  it('a file keeps them across a restart (0600), skipping a damaged line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vnfkit-pins-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'sub', 'pins.jsonl');
    const [k1, k2] = [key(), key()];
    const first = FileIdentityPins.open(file);
    await first.pin('a#1', k1);
    await first.pin('b#1', k2);
    await first.forget(['b']);
    await first.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { appendFile } = await import('node:fs/promises');
    await appendFile(file, '{"op":"pin","hostname":"c#1","publicKey":"short"}\n');
    const second = FileIdentityPins.open(file);
    cleanups.push(() => second.close());
    expect(second.get('a#1')).toBe(k1);
    expect(second.get('b#1')).toBeUndefined();
    expect(second.get('c#1')).toBeUndefined();
    expect(await second.pin('a#1', k2)).toBe(k1);
    expect((await readFile(file, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4); // nothing appended for a known pin
  });
});

describeBroker('identity pins on a stream (replicas)', () => {
  it('two replicas pinning different keys for one host at the same time agree on one; a third reads the pins at open', async () => {
    const stream = uniqueName('vnfkit-test-pins');
    const open = async () => {
      const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: uniqueName('pins') });
      cleanups.push(() => transport.close());
      const pins = await StreamIdentityPins.open({ transport, stream });
      cleanups.push(() => pins.close());
      return { transport, pins };
    };
    const a = await open();
    cleanups.push(() => a.transport.deleteQueue(stream));
    const b = await open();
    const [k1, k2] = [key(), key()];
    const [wonA, wonB] = await Promise.all([a.pins.pin('vm-1#x', k1), b.pins.pin('vm-1#x', k2)]);
    expect(wonA).toBe(wonB);
    expect([k1, k2]).toContain(wonA);
    const c = await open();
    expect(c.pins.get('vm-1#x')).toBe(wonA);
    await c.pins.forget(['vm-1']);
    expect(await a.pins.pin('vm-1#x', k2)).toBe(k2); // after the forget, a new VM of that name enrols afresh
  });
});
