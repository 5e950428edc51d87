// Secrets never reach the logs: a full run at trace level (VNFM, simulator, agents) is grepped for the
// broker password and the signing key.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { deriveVnfrKey } from '@vnfkit/protocol';
import { createAmqpTransport } from '@vnfkit/vnfm-sdk';
import { LocalVim, NfvoSimulator } from '@vnfkit/vnfm-sdk/testing';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { GenericVnfmConfig } from '../../src/config.js';
import { GenericVnfm } from '../../src/generic-vnfm.js';
import { loadUserDataTemplate } from '../../src/user-data.js';
import { privateVhost, scripts } from './harness.js';

const vhost = privateVhost();
const user = `vnfkit-secret-${randomBytes(3).toString('hex')}`;
const password = `Pw-${randomBytes(12).toString('hex')}`;
const signingKey = `Key-${randomBytes(12).toString('hex')}`;
const vhostName = decodeURIComponent(new URL(vhost.url).pathname.slice(1));
execFileSync('rabbitmqctl', ['-q', 'add_user', user, password]);
execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhostName, user, '.*', '.*', '.*']);
afterAll(() => {
  execFileSync('rabbitmqctl', ['-q', 'delete_user', user]);
  vhost.remove();
});

it('no broker password or signing key in any log line of a full run (deploy, failure, logs, terminate)', async () => {
  const url = new URL(vhost.url);
  url.username = user;
  url.password = password;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-secrets-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  const agentLog = join(work, 'agents.log');
  // The agents get their VNFR's key from the user-data (the master key stays in the VNFM); run from source.
  const agentDir = dirname(createRequire(import.meta.url).resolve('@vnfkit/ems-agent/package.json'));
  const agentCommand = [process.execPath, '--conditions=@vnfkit/source', '--import', 'tsx', join(agentDir, 'src', 'cli.ts')];
  const vim = new LocalVim({ logLevel: 'trace', agentConfig: { log_file: agentLog }, agentCommand });
  let vnfrKey = '';
  const transport = await createAmqpTransport({ url: url.toString(), logger });
  const sim = await NfvoSimulator.create({ transport, vim, brokerUrl: url.toString(), logger });
  const config = GenericVnfmConfig.parse({
    amqpUrl: url.toString(),
    type: 'secretive',
    endpoint: 'secretive',
    resumeDir: join(work, 'r'),
    logDir: join(work, 'l'),
    journalFile: join(work, 'j.jsonl'),
    identityPinsFile: join(work, 'pins.jsonl'),
    ems: { startTimeoutS: 20, commandTimeoutS: 20, signingKey },
  });
  const vnfm = new GenericVnfm({
    config,
    userDataTemplate: await loadUserDataTemplate(),
    logger,
    bootstrapCredentials: { username: user, password },
  });
  try {
    await vnfm.connect();
    const nsrId = await sim.deploy(
      {
        name: 'ns',
        vnfd: [
          {
            name: 'quiet',
            type: 't',
            endpoint: 'secretive',
            configurations: { name: 'c', configurationParameters: [{ confKey: 'db_password', value: password }] },
            lifecycle_event: [
              { event: 'INSTANTIATE', lifecycle_events: ['install.sh'] },
              { event: 'START', lifecycle_events: ['fail.sh'] },
            ],
            vdu: [{ name: 'v', vnfc: [{}] }],
          },
        ],
      },
      { packages: { quiet: { scripts: { ...scripts(['install.sh']), 'fail.sh': 'echo "no such thing" >&2\nexit 1\n' } } } },
    );
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 20_000 });
    vnfrKey = deriveVnfrKey(signingKey, sim.vnfr(nsrId, 'quiet').id ?? '');
    await sim.logs(nsrId, 'quiet', 'quiet-1');
    await sim.terminate(nsrId);
  } finally {
    await vnfm.close();
    await sim.close();
    await vim.close();
    await transport.close();
  }
  const agentLines = await readFile(agentLog, 'utf8').catch(() => '');
  await rm(work, { recursive: true, force: true });
  const all = `${lines.join('')}\n${agentLines}`;
  expect(lines.length).toBeGreaterThan(10);
  expect(agentLines.length).toBeGreaterThan(0);
  expect(all).not.toContain(password);
  expect(all).not.toContain(signingKey);
  expect(vnfrKey).toMatch(/^[0-9a-f]{64}$/);
  expect(all).not.toContain(vnfrKey);
}, 60_000);
