// EmsClient re-sending commands that may have been lost, against a REAL vnfkit-ems process on RabbitMQ:
// the agent answers a repeat (same correlation id and body) from its execution record, so nothing runs twice.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EmsReply } from '@vnfkit/protocol';
import { afterEach, expect, it } from 'vitest';
import { EmsClient } from '../../src/ems/ems-client.js';
import { createAmqpTransport } from '@vnfkit/transport';
import type { ReplyMode } from '@vnfkit/transport';
import { AMQP_URL, closeConnectionsNamed, describeBroker, uniqueName, waitFor } from '../helpers/broker.js';

const require = createRequire(import.meta.url);
const agentDir = dirname(require.resolve('@vnfkit/ems-agent/package.json'));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** Appends its name to runs.log (a second run shows as a second line), then waits for its gate file. */
const GATED =
  '#!/bin/bash\necho "$(basename "$0")" >> "$SCRIPTS_PATH/runs.log"\nfor _ in $(seq 1 300); do [ -e "$SCRIPTS_PATH/gate" ] && exit 0; sleep 0.05; done\nexit 1\n';
const MARKER = '#!/bin/bash\necho "$(basename "$0")" >> "$SCRIPTS_PATH/runs.log"\n';

/** An EmsClient (own connection, named for closing it) and one real agent that said hello. */
async function setUp(
  replyMode: ReplyMode,
): Promise<{ ems: EmsClient; hostname: string; connectionName: string; scripts: string; runs: () => Promise<string[]> }> {
  const endpoint = uniqueName('resend').replace(/-/g, '');
  const hostname = `${endpoint}-vnf-1`;
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-resend-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const connectionName = `${endpoint}-vnfm`;
  const transport = await createAmqpTransport({ url: AMQP_URL, connectionName, replyMode });
  cleanups.push(() => transport.close());
  const ems = new EmsClient({ transport, endpoint, commandTimeoutMs: 20_000, helloTimeoutMs: 20_000 });
  await ems.start();
  cleanups.push(() => ems.stop());
  const scripts = join(dir, 'scripts');
  const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src/cli.ts')], {
    env: {
      ...process.env,
      VNFKIT_EMS_AMQP_URL: AMQP_URL,
      VNFKIT_EMS_HOSTNAME: hostname,
      VNFKIT_EMS_TYPE: endpoint,
      VNFKIT_EMS_SCRIPTS_DIR: scripts,
      VNFKIT_EMS_STATE_DIR: join(dir, 'state'),
      VNFKIT_EMS_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  });
  await ems.waitForAgent(hostname);
  await ems.saveScript(hostname, { name: 'gated.sh', content: GATED });
  await ems.saveScript(hostname, { name: 'marker.sh', content: MARKER });
  const runs = async (): Promise<string[]> =>
    (await readFile(join(scripts, 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { ems, hostname, connectionName, scripts, runs };
}

function readyMessages(queue: string): number {
  const line = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name', 'messages_ready'], { encoding: 'utf8', timeout: 20_000 })
    .split('\n')
    .find((l) => l.startsWith(`${queue}\t`));
  return Number(line?.split('\t')[1] ?? NaN);
}

describeBroker('EmsClient sends a command again when it may have been lost', () => {
  it('after its agent reconnects, a command that waited in the deleted actions queue still runs, once; the running one is not re-run', async () => {
    const { ems, hostname, scripts, runs } = await setUp('lasting-queue');
    const first = ems.execute(hostname, { payload: 'gated.sh', env: {} });
    first.catch(() => undefined); // awaited below; a failure must not also surface as unhandled meanwhile
    await waitFor(async () => (await runs()).includes('gated.sh'), { what: 'gated.sh to start' });
    // Prefetch 1: the second command waits in the agent's auto-delete actions queue.
    const second = ems.execute(hostname, { payload: 'marker.sh', env: {} });
    await waitFor(() => readyMessages(`vnfm.${hostname}.actions`) === 1, { what: 'marker.sh to wait in the actions queue' });
    // The agent's connection drops: its queue goes, and marker.sh with it. The agent reconnects and says hello.
    expect(closeConnectionsNamed(`vnfkit-ems ${hostname}`)).toBe(1);
    await writeFile(join(scripts, 'gate'), '');
    const replies: EmsReply[] = await Promise.all([first, second]);
    expect(replies.map((r) => r.status)).toEqual([0, 0]);
    expect(await runs()).toEqual(['gated.sh', 'marker.sh']);
  }, 60_000);

  it('after its own connection drops with the reply channel (direct reply-to), the command is sent again and answered from the record', async () => {
    const { ems, hostname, connectionName, scripts, runs } = await setUp('direct');
    const first = ems.execute(hostname, { payload: 'gated.sh', env: {} });
    first.catch(() => undefined); // awaited below; a failure must not also surface as unhandled meanwhile
    await waitFor(async () => (await runs()).includes('gated.sh'), { what: 'gated.sh to start' });
    // The reply-to of the command dies with this connection: its reply can no longer arrive.
    expect(closeConnectionsNamed(connectionName)).toBe(1);
    await writeFile(join(scripts, 'gate'), '');
    expect((await first).status).toBe(0);
    expect(await runs()).toEqual(['gated.sh']);
  }, 60_000);
});
