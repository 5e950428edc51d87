// EmsClient against a REAL vnfkit-ems process on RabbitMQ.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmsClient } from '../../src/ems/ems-client.js';
import { EmsCommandError, EmsTimeoutError } from '../../src/errors.js';
import { createAmqpTransport } from '@vnfkit/transport';
import { spawnAgent } from '../helpers/agent-process.js';
import { AMQP_URL, uniqueName } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe('EmsClient with a real agent', () => {
  it('waits for the hello by exact hostname, saves, executes with env, and turns failures into EmsCommandError', async () => {
    const endpoint = uniqueName('ems').replace(/-/g, '');
    const hostname = `${endpoint}-vnf-1`;
    const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const transport = await createAmqpTransport({ url: AMQP_URL, connectionName: endpoint });
    cleanups.push(() => transport.close());
    const ems = new EmsClient({ transport, endpoint, commandTimeoutMs: 20_000, helloTimeoutMs: 20_000, brokerAddress: '127.0.0.1:5672' });
    await ems.start();
    cleanups.push(() => ems.stop());

    // A hostname that is a substring of the real one must not match (upstream's substring bug).
    const wrong = ems.waitForAgent(`${endpoint}-vnf-`, 1_000).catch((e: unknown) => e);
    spawnAgent(
      {
        VNFKIT_EMS_AMQP_URL: AMQP_URL,
        VNFKIT_EMS_HOSTNAME: hostname,
        VNFKIT_EMS_TYPE: endpoint,
        VNFKIT_EMS_SCRIPTS_DIR: join(dir, 'scripts'),
        VNFKIT_EMS_STATE_DIR: join(dir, 'state'),
        VNFKIT_EMS_LOG_LEVEL: 'warn',
      },
      cleanups,
    );
    await ems.waitForAgent(hostname);
    expect(await wrong).toBeInstanceOf(EmsTimeoutError);

    await ems.saveScript(hostname, { name: 'hello.sh', content: 'echo "hello $WHO" > "$SCRIPTS_PATH/out.txt"; echo done\n' });
    const reply = await ems.execute(hostname, { payload: 'hello.sh', env: { WHO: 'vnfkit' } });
    expect(reply).toMatchObject({ status: 0, output: 'done\n' });
    expect(await readFile(join(dir, 'scripts', 'out.txt'), 'utf8')).toBe('hello vnfkit\n');

    await ems.saveScript(hostname, { name: 'fail.sh', content: 'echo broken >&2; exit 3\n' });
    const failure = await ems.execute(hostname, { payload: 'fail.sh', env: {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EmsCommandError);
    expect((failure as Error).message).toBe(`EXECUTE of fail.sh failed on ${hostname} with exit status 3: broken`);
  });

  it('names the hostname and the broker address when an agent never says hello', async () => {
    const transport = await createAmqpTransport({ url: AMQP_URL });
    cleanups.push(() => transport.close());
    const ems = new EmsClient({ transport, endpoint: uniqueName('silent').replace(/-/g, ''), brokerAddress: '10.0.0.10:5672' });
    await ems.start();
    cleanups.push(() => ems.stop());
    await expect(ems.waitForAgent('ghost-42', 200)).rejects.toThrow(
      'Timeout waiting for EMS: ghost-42 did not register within 200 ms; check that the VM runs vnfkit-ems and reaches the broker at 10.0.0.10:5672',
    );
  });
});
