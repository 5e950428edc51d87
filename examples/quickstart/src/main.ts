// pnpm demo: NFVO simulator → Generic VNFM → EMS agents → real scripts, end to end, in under a minute.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericVnfm, GenericVnfmConfig } from '@vnfkit/generic-vnfm';
import { MemoryBroker, allVnfcs, createAmqpTransport, createMemoryTransport, type Transport } from '@vnfkit/vnfm-sdk';
import { InProcessVim, LocalVim, NfvoSimulator } from '@vnfkit/vnfm-sdk/testing';
import { BROKEN_START, PACKAGES, iperfNsd } from './iperf-ns.js';

const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TYPE = 'generic';
/** The example lifecycle plug-in: health check after the servers' START, least-loaded scale-in choice. */
const HEALTH_CHECK_PLUGIN = join(import.meta.dirname, '..', '..', 'generic-vnfm', 'plugins', 'health-check.ts');
const started = Date.now();
const c = { bold: '\x1b[1m', dim: '\x1b[2m', green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', off: '\x1b[0m' };
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (text: string): void => console.log(`${c.dim}${elapsed()}${c.off} ${text}`);
const step = (text: string): void => console.log(`\n${c.bold}== ${text}${c.off}`);

interface Broker {
  kind: 'amqp' | 'memory';
  transport: () => Promise<Transport>;
}

async function pickBroker(): Promise<Broker> {
  try {
    const probe = await createAmqpTransport({
      url: AMQP_URL,
      connectTimeoutMs: 2_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    await probe.close();
    return { kind: 'amqp', transport: () => createAmqpTransport({ url: AMQP_URL, connectionName: 'vnfkit-demo' }) };
  } catch {
    const broker = new MemoryBroker();
    console.log(
      `${c.yellow}${c.bold}!! No RabbitMQ answers at ${new URL(AMQP_URL).host}: running on the IN-PROCESS transport instead.${c.off}`,
    );
    console.log(`${c.yellow}!! Everything below still runs real agents and real scripts, but no message crosses a network.${c.off}`);
    return { kind: 'memory', transport: async () => createMemoryTransport(broker) };
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'vnfkit-demo-'));
  const closers: (() => Promise<void>)[] = [async () => rm(work, { recursive: true, force: true })];
  try {
    const broker = await pickBroker();
    step(`vnfkit demo on ${broker.kind === 'amqp' ? `RabbitMQ at ${new URL(AMQP_URL).host}` : 'the in-process transport'}`);
    const vim = broker.kind === 'amqp' ? new LocalVim() : new InProcessVim(broker.transport);
    closers.push(() => vim.close());
    const sim = await NfvoSimulator.create({ transport: await broker.transport(), vim, brokerUrl: AMQP_URL, commandTimeoutMs: 60_000 });
    closers.push(() => sim.close());
    sim.on('vnfr-status', (e) =>
      say(
        `VNFR ${c.bold}${e.name.padEnd(13)}${c.off} → ${e.status === 'ERROR' ? c.red : e.status === 'ACTIVE' ? c.green : ''}${e.status}${c.off}`,
      ),
    );
    sim.on('message', (m) => {
      if (m.direction === 'to-vnfm' && !['GRANT_OPERATION', 'ALLOCATE_RESOURCES', 'SCALED'].includes(m.action))
        say(`${c.dim}NFVO ⇒ VNFM ${m.action}${c.off}`);
    });
    say('NFVO simulator up; VMs are ' + (broker.kind === 'amqp' ? 'real vnfkit-ems processes (LocalVim)' : 'in-process vnfkit-ems agents'));

    // Stands in for the iperf servers' service (scripts cannot leave daemons on these VMs): the plug-in probes it.
    let healthChecks = 0;
    const service = createServer((socket) => {
      healthChecks += 1;
      socket.end();
    });
    await new Promise<void>((resolve) => service.listen(0, '0.0.0.0', resolve));
    closers.push(() => new Promise<void>((resolve) => service.close(() => resolve())));
    const config = GenericVnfmConfig.parse({
      amqpUrl: AMQP_URL,
      type: TYPE,
      endpoint: TYPE,
      resumeDir: join(work, 'resume'),
      logDir: join(work, 'logs'),
      journalFile: join(work, 'operations.jsonl'),
      logLevel: 'silent',
      plugins: [HEALTH_CHECK_PLUGIN],
      // agentGoneTimeoutS: a command whose agent is gone fails after 2 s of absence (default 20) — short for the demo.
      ems: { startTimeoutS: 30, commandTimeoutS: 30, agentGoneTimeoutS: 2 },
    });
    const vnfm = new GenericVnfm({
      config,
      transportFactory: broker.transport,
      bootstrapCredentials: { username: 'guest', password: 'guest' },
    });
    await vnfm.connect();
    closers.push(() => vnfm.close());
    say(`Generic VNFM registered as type "${TYPE}"`);

    step("Deploy iperf-ns: server + client (the client depends on the server's private IP and hostname)");
    const nsrId = await sim.deploy(iperfNsd(TYPE, { healthPort: (service.address() as { port: number }).port }), {
      packages: Object.fromEntries(Object.entries(PACKAGES).map(([k, scripts]) => [k, { scripts }])),
    });
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 45_000 });
    say(`${c.green}NS ACTIVE${c.off}`);

    step('The environment each script saw');
    for (const vnfr of sim.vnfrsOf(nsrId)) {
      for (const vnfc of allVnfcs(vnfr)) {
        const dir = vim.scriptsDir(vnfc.hostname ?? '');
        for (const file of (await readdir(dir)).filter((f) => f.startsWith('env-')).sort()) {
          const env = (await readFile(join(dir, file), 'utf8'))
            .trim()
            .split('\n')
            .filter((l) => !l.startsWith('SCRIPTS_PATH'))
            .join('  ');
          console.log(`  ${vnfc.hostname?.padEnd(16)} ${file.slice(4, -4).padEnd(19)} ${c.dim}${env}${c.off}`);
        }
      }
    }

    step('Scale the server out: the new server VNFC is installed and started, the client re-configured for it');
    await sim.scaleOut(nsrId, 'iperf-server');
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    const clientHost = sim.vnfr(nsrId, 'iperf-client').vdu?.[0]?.vnfc_instance?.[0]?.hostname ?? '';
    const servers = (await readFile(join(vim.scriptsDir(clientHost), 'servers.txt'), 'utf8')).trim().split('\n');
    say(`client ${clientHost} now knows ${servers.length} servers: ${servers.join(', ')}`);
    if (servers.length !== 2) throw new Error(`expected the client to know 2 servers after scale-out, it knows ${servers.length}`);

    step('Lifecycle plug-in (generic-vnfm/plugins/health-check.ts): health checks, then scale in the least loaded server');
    say(`the plug-in checked the servers' service after each START: ${healthChecks} checks answered`);
    for (const [hostname, sessions] of [
      ['iperf-server-1', 3],
      ['iperf-server-2', 1],
    ] as const)
      await writeFile(join(vim.scriptsDir(hostname), 'sessions'), `${sessions}\n`);
    const chosen = (await vnfm.chooseScaleIn(sim.vnfr(nsrId, 'iperf-server')))?.hostname ?? '';
    say(`each server's agent reported its sessions (3, 1): the plug-in chose the least loaded, ${chosen}`);
    await sim.scaleIn(nsrId, 'iperf-server', chosen);
    say(
      `servers left: ${allVnfcs(sim.vnfr(nsrId, 'iperf-server'))
        .map((v) => v.hostname)
        .join(', ')}`,
    );

    step('Break the client START script, watch it fail, fix it with a script update, resume');
    await sim.updateScript(nsrId, 'iperf-client', { name: 'start.sh', content: BROKEN_START });
    await sim.startStop(nsrId, 'iperf-client', { action: 'START' });
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const failure = sim.vnfr(nsrId, 'iperf-client').lifecycle_event_history?.at(-1)?.description ?? '';
    say(`${c.red}NFVO history: ${failure}${c.off}`);
    await sim.updateScript(nsrId, 'iperf-client', { name: 'start.sh', content: PACKAGES['iperf-client']?.['start.sh'] ?? '' });
    await sim.resume(nsrId);
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    say(`${c.green}resumed from the failed script: NS ACTIVE again${c.off}`);

    step(
      `Pull the plug on ${clientHost}: its agent dies, START finds it gone in seconds (not at the command timeout); the VM comes back, resume`,
    );
    if (vim instanceof LocalVim) vim.kill(clientHost, 'SIGKILL');
    else await vim.kill(clientHost);
    const died = Date.now();
    say(`${c.red}the agent of ${clientHost} is dead${c.off}`);
    await sim.startStop(nsrId, 'iperf-client', { action: 'START' });
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 30_000 });
    const goneFor = ((Date.now() - died) / 1000).toFixed(1);
    say(`${c.red}NFVO history: ${sim.vnfr(nsrId, 'iperf-client').lifecycle_event_history?.at(-1)?.description ?? ''}${c.off}`);
    say(`the NS reported the failure ${goneFor} s after the agent died (ems.agentGoneTimeoutS 2; command timeout 30 s)`);
    await vim.restart(clientHost);
    const probe = await broker.transport();
    try {
      for (const deadline = Date.now() + 30_000; ((await probe.inspectQueue(`vnfm.${clientHost}.actions`))?.consumers ?? 0) === 0;) {
        if (Date.now() > deadline) throw new Error(`the agent of ${clientHost} did not come back`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await probe.close();
    }
    say(`the VM is back (its agent restarted)`);
    await sim.resume(nsrId);
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 30_000 });
    say(`${c.green}resumed after the agent came back: NS ACTIVE again${c.off}`);

    step('Terminate');
    await sim.terminate(nsrId);
    say(`NS ${sim.nsStatus(nsrId)}; every VM deleted`);
    console.log(`\n${c.green}${c.bold}demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s${c.off}`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`\n${c.red}${c.bold}demo failed:${c.off} ${(error as Error).message}`);
    process.exit(1);
  },
);
