// amqps:// with a private CA: a TLS-terminating proxy on loopback (certificate signed by a CA made here)
// forwards to the real RabbitMQ, so the transport's TLS path is exercised without reconfiguring the broker.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { ConfigError, TransportError } from '@vnfkit/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAmqpTransport } from '../src/index.js';
import { AMQP_URL, uniqueName } from '../../vnfm-sdk/test/helpers/broker.js';
import { teardown } from '../../vnfm-sdk/test/helpers/teardown.js';

let dir = '';
let proxy: Server;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vnfkit-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=vnfkit test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
  const broker = new URL(AMQP_URL);
  proxy = createServer({ key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.pem')) }, (client) => {
    const upstream = connect(Number(broker.port || 5672), broker.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  port = (proxy.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => proxy.close(r));
  await rm(dir, { recursive: true, force: true });
});

it('connects over amqps:// trusting a CA file, and does an RPC round trip', async () => {
  const t = teardown.track(
    await createAmqpTransport({ url: `amqps://guest:guest@localhost:${port}`, caFile: join(dir, 'ca.pem'), connectTimeoutMs: 5_000 }),
    'tls transport',
  );
  const q = await t.declareQueue(uniqueName('tls'), { exclusive: true });
  await t.consume(q, async (m) => t.reply(m, `tls:${m.body.toString()}`));
  expect((await t.request('', q, 'hi', { timeoutMs: 5_000 })).body.toString()).toBe('tls:hi');
});

it('refuses a server whose certificate the CA file does not vouch for, at once (retrying cannot fix that)', async () => {
  const started = Date.now();
  await expect(
    createAmqpTransport({
      url: `amqps://guest:guest@localhost:${port}`,
      connectTimeoutMs: 10_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    }),
  ).rejects.toSatisfy(
    (e: unknown) => e instanceof TransportError && /certificate/i.test(e.message) && e.message.includes('amqps://guest:***@localhost'),
  );
  expect(Date.now() - started).toBeLessThan(5_000);
});

it('fails with a ConfigError when the CA file cannot be read', async () => {
  await expect(
    createAmqpTransport({ url: `amqps://guest:guest@localhost:${port}`, caFile: join(dir, 'missing.pem') }),
  ).rejects.toBeInstanceOf(ConfigError);
});
