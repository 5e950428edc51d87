// Fault injection: the Generic VNFM process SIGKILLed in the middle of a lifecycle script, then restarted on
// the same journal and resume directory: the NFVO gets its INSTANTIATE answered (ERROR naming the restart),
// the VNFR is granted once, and RESUME finishes the deployment.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAmqpTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { LocalVim, NfvoSimulator, type MessageEvent } from '@vnfkit/vnfm-sdk/testing';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { privateVhost, runs, scripts } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'cli.ts');
const root = join(here, '..', '..', '..', '..');
const vhost = privateVhost();
afterAll(() => vhost.remove());

it('the VNFM killed mid-script and restarted: INSTANTIATE answered with ERROR, one GRANT per VNFR, RESUME → ACTIVE', async () => {
  const type = `crash${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-gvnfm-crash-'));
  const vim = new LocalVim();
  let transport: Transport | undefined;
  let sim: NfvoSimulator | undefined;
  const children: ChildProcess[] = [];
  const startVnfm = (): ChildProcess => {
    const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', cli], {
      cwd: root,
      stdio: ['ignore', process.env['DEBUG_VNFM'] ? 'inherit' : 'ignore', 'inherit'],
      env: {
        ...process.env, AMQP_URL: vhost.url, VNFM_TYPE: type, VNFM_ENDPOINT: type, VNFKIT_MANAGER_USERNAME: 'guest', VNFKIT_MANAGER_PASSWORD: 'guest',
        VNFKIT_RESUME_DIR: join(work, 'resume'), VNFKIT_LOG_DIR: join(work, 'logs'), VNFKIT_JOURNAL_FILE: join(work, 'operations.jsonl'),
        VNFKIT_LOG_LEVEL: process.env['DEBUG_VNFM'] ?? 'silent', VNFKIT_AGENT_START_TIMEOUT_S: '30', VNFKIT_AGENT_COMMAND_TIMEOUT_S: '30',
      },
    });
    children.push(child);
    return child;
  };
  try {
    const dbg = process.env['DEBUG_VNFM'] ? { logger: pino({ level: 'debug' }) } : {};
    transport = await createAmqpTransport({ url: vhost.url, ...dbg });
    sim = await NfvoSimulator.create({ transport, vim, brokerUrl: vhost.url, commandTimeoutMs: 60_000, ...dbg });
    sim.on('message', (e: MessageEvent) => { if (process.env['DEBUG_VNFM']) console.log('SIM', e.direction, e.action); });
    const grants: string[] = [];
    sim.on('message', (e: MessageEvent) => {
      if (e.direction === 'from-vnfm' && e.action === 'GRANT_OPERATION') grants.push(String((e.body as { virtualNetworkFunctionRecord?: { name?: string } }).virtualNetworkFunctionRecord?.name));
    });
    const first = startVnfm();
    await sim.waitForVnfm(type, { timeoutMs: 30_000 });
    // slow.sh stays in its first run (waits for a file the test never writes) until the VNFM is gone.
    const slow = '#!/bin/bash\necho slow >> "$SCRIPTS_PATH/runs.log"\nif [ ! -e "$SCRIPTS_PATH/slow.done" ]; then touch "$SCRIPTS_PATH/slow.done"; sleep 3; fi\n';
    const nsrId = await sim.deploy({
      name: 'ns',
      vnfd: [{ name: 'victim', type: 't', endpoint: type, lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'slow.sh'] }, { event: 'START', lifecycle_events: ['start.sh'] }], vdu: [{ name: 'v', vnfc: [{}] }] }],
    }, { packages: { victim: { scripts: { ...scripts(['install.sh', 'start.sh']), 'slow.sh': slow } } } });
    await expect.poll(() => runs(vim, 'victim-1'), { timeout: 30_000 }).toContain('slow');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    startVnfm();
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const description = sim.vnfr(nsrId, 'victim').lifecycle_event_history?.at(-1)?.description ?? '';
    expect(description).toMatch(new RegExp(`VNFM ${type} was restarted while running INSTANTIATE of VNFR victim`));

    await sim.resume(nsrId);
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    expect(grants).toEqual(['victim']);
    // RESUME re-ran INSTANTIATE from its first script (the interrupted run's progress is unknown), then START.
    expect(await runs(vim, 'victim-1')).toEqual(['install.sh', 'slow', 'install.sh', 'slow', 'start.sh']);
    expect(await readFile(join(work, 'operations.jsonl'), 'utf8')).not.toMatch(/password/i);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim?.close();
    await transport?.close();
    await vim.close();
    await rm(work, { recursive: true, force: true });
  }
}, 120_000);
