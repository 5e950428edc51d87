// The published CommonJS build of the test kit: `require('@vnfkit/vnfm-sdk/testing')` and a LocalVim that finds
// the agent package on its own (its CJS build once had `import.meta` emptied out). Runs the built dist/ files
// (`pnpm test` builds first) in a plain `node` process, against the real broker.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { AMQP_URL } from '../helpers/broker.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = join(packageDir, 'dist', 'testing', 'index.cjs');

it('require() of the test kit starts a LocalVim VM with the default agent command', async () => {
  expect(existsSync(built), `${built} is missing: run pnpm build first (pnpm test does)`).toBe(true);
  const program = `
    const { LocalVim } = require('@vnfkit/vnfm-sdk/testing');
    const amqp = require('amqplib');
    (async () => {
      const vim = new LocalVim();
      const type = 'cjs' + process.pid;
      const connection = await amqp.connect(process.env.AMQP_URL);
      const channel = await connection.createChannel();
      await channel.assertExchange('openbaton-exchange', 'topic', { durable: true });
      const { queue } = await channel.assertQueue('ems.' + type + '.register', { autoDelete: true });
      await channel.bindQueue(queue, 'openbaton-exchange', queue);
      const hello = new Promise((resolve) => channel.consume(queue, (m) => resolve(m.content.toString()), { noAck: true }));
      const vm = await vim.allocate({ vnfrName: 'cjs', networks: ['private'], brokerUrl: process.env.AMQP_URL, emsType: type });
      console.log(JSON.stringify({ hostname: vm.hostname, hello: JSON.parse(await hello).hostname }));
      await vim.close();
      await connection.close();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', program], {
    cwd: packageDir,
    env: { ...process.env, AMQP_URL },
    timeout: 30_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { hostname: string; hello: string };
  expect(result.hello).toBe(result.hostname);
}, 40_000);
