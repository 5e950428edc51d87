import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import amqp, { type ConsumeMessage } from 'amqplib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnAgent } from '../helpers/agent-process.js';
import { b64, startAgentPair, type AgentPair } from '../helpers/agent-pair.js';
import { AMQP_URL, closeConnectionNamed, deleteQueueAfterTest, queueExists, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { servedRepository } from '../helpers/git-daemon.js';
import { waitFor, withDeadline } from '../helpers/wait-for.js';

/** A real agent (debug log) and a fake VNFM; see {@link startAgentPair}. */
const startPair = (title: string, extra: Record<string, string | number | boolean> = {}): Promise<AgentPair> =>
  startAgentPair(title, { log_level: 'debug', ...extra });

describe.skipIf(SKIP_BROKER_TESTS)('vnfkit-ems against a real RabbitMQ (the test plays the Java Generic VNFM)', () => {
  it('says hello on start (text/plain), and again after its connection is closed by the broker', async () => {
    const { agent, vnfm, hostname, scriptsDir } = await startPair('reconnect');
    expect(vnfm.hellos[0]).toEqual({ hostname, contentType: 'text/plain' });
    expect(await closeConnectionNamed(`vnfkit-ems ${hostname}`)).toBe(1);
    await waitFor(() => vnfm.hellosFrom(hostname) >= 2, { timeoutMs: 20_000, what: 'the hello after reconnect' });
    // The actions queue was re-declared and re-consumed.
    const reply = await vnfm.send(hostname, {
      action: 'SAVE_SCRIPTS',
      payload: b64('echo hi\n'),
      name: 'after.sh',
      'script-path': '/opt/openbaton/scripts',
    });
    expect(reply.json).toEqual({ output: "['after.sh']", err: '', status: 0 });
    expect(await readFile(join(scriptsDir, 'after.sh'), 'utf8')).toBe('echo hi\n');
    await waitFor(() => agent.logged('reconnected to the broker'), { timeoutMs: 5_000, what: 'the reconnect log line' });
  });

  it('handles every command, replying text/plain with the correlation id', async () => {
    // The local git daemon serves git://, which needs allow_git_protocols (https and ssh only by default).
    const { vnfm, hostname, scriptsDir } = await startPair('commands', { allow_git_protocols: 'https,ssh,git' });
    const save = await vnfm.send(
      hostname,
      {
        action: 'SAVE_SCRIPTS',
        payload: b64('echo "install $1 $server_private $SCRIPTS_PATH"\n'),
        name: 'install.sh',
        'script-path': '/opt/openbaton/scripts',
      },
      { correlationId: 'corr-1' },
    );
    expect(save).toMatchObject({
      contentType: 'text/plain',
      correlationId: 'corr-1',
      json: { output: "['install.sh']", err: '', status: 0 },
    });

    const exec = await vnfm.send(hostname, { action: 'EXECUTE', payload: 'install.sh arg1', env: { server_private: '192.168.1.7' } });
    expect(exec.json).toEqual({ output: `install arg1 192.168.1.7 ${scriptsDir}\n`, err: '', status: 0 });

    const update = await vnfm.send(hostname, {
      action: 'SCRIPTS_UPDATE',
      payload: b64('echo updated; exit 3\n'),
      name: 'install.sh',
      'script-path': '/opt/openbaton/scripts',
    });
    expect(update.json.status).toBe(0);
    const failing = await vnfm.send(hostname, { action: 'EXECUTE', payload: 'install.sh' });
    expect(failing.json).toEqual({ output: 'updated\n', err: '', status: 3 });

    const dependency = {
      target: 'client',
      parameters: { server: { parameters: { conf: 'a b' } } },
      vnfcParameters: { server: { parameters: { id1: { parameters: { private: '10.0.0.7' } } } } },
      idType: { 'iperf-server': 'server' },
    };
    const dep = await vnfm.send(hostname, {
      action: 'SAVE_VNFR_DEPENDENCY',
      payload: JSON.stringify(dependency, null, 2),
      'script-path': '/opt/openbaton/scripts',
    });
    expect(dep.json.status).toBe(0);
    expect(await readFile(join(scriptsDir, 'ob_parameters.sh'), 'utf8')).toContain("export OB_server_VNFC_private='10.0.0.7'");

    const url = await servedRepository({ 'configure.sh': 'echo cloned\n' });
    const clone = await vnfm.send(
      hostname,
      { action: 'CLONE_SCRIPTS', payload: url, 'script-path': '/opt/openbaton/scripts' },
      { timeoutMs: 30_000 },
    );
    expect(clone.json).toMatchObject({ output: "['.git', 'configure.sh']", status: 0 });
    expect((await vnfm.send(hostname, { action: 'EXECUTE', payload: 'configure.sh' })).json).toEqual({
      output: 'cloned\n',
      err: '',
      status: 0,
    });

    const refusedClone = await vnfm.send(hostname, { action: 'CLONE_SCRIPTS', payload: 'file:///etc' });
    expect(refusedClone.json.status).toBe(1);
    expect(refusedClone.json.err).toMatch(/not allowed/);

    const unknown = await vnfm.send(hostname, { action: 'REPO_SCRIPTS_UPDATE', payload: url });
    expect(unknown.json).toMatchObject({ output: '', status: 1 });
    expect(unknown.json.err).toMatch(/unknown action/);
    const garbage = await vnfm.send(hostname, 'None');
    expect(garbage.json.status).toBe(1);

    // No reply_to: acked without a reply; the next command is still served.
    vnfm.publishRaw(hostname, JSON.stringify({ action: 'EXECUTE', payload: 'configure.sh' }), { correlationId: 'no-reply', noReply: true });
    expect((await vnfm.send(hostname, { action: 'EXECUTE', payload: 'missing.sh' })).json).toMatchObject({ status: 127 });
  });

  it('takes commands as the Java Generic VNFM sends them (Spring AMQP 1.7: no correlation id, direct reply-to): each runs, none is a repeat of another, replies carry no id', async () => {
    const { hostname, scriptsDir } = await startPair('spring');
    // convertSendAndReceive: a channel that consumes amq.rabbitmq.reply-to, the command published with
    // reply_to and no correlation_id; the first message on that channel is the reply (RabbitTemplate 1.7.7:1255-1314).
    const connection = await amqp.connect(AMQP_URL, { noDelay: true });
    onTestFinished(() => connection.close().catch(() => undefined));
    const springRequest = async (command: unknown): Promise<ConsumeMessage> => {
      const channel = await connection.createChannel();
      try {
        const reply = new Promise<ConsumeMessage>((resolve) => {
          void channel.consume('amq.rabbitmq.reply-to', (m) => m && resolve(m), { noAck: true });
        });
        await new Promise((r) => setTimeout(r, 20)); // the consume is on the wire before the publish
        channel.publish('openbaton-exchange', `vnfm.${hostname}.actions`, Buffer.from(JSON.stringify(command)), {
          replyTo: 'amq.rabbitmq.reply-to',
          contentType: 'text/plain',
        });
        return await withDeadline(reply, 20_000, 'the reply to a command without correlation id');
      } finally {
        await channel.close().catch(() => undefined);
      }
    };
    const save = await springRequest({
      action: 'SAVE_SCRIPTS',
      payload: b64('echo run >> "$SCRIPTS_PATH/count"\necho ran\n'),
      name: 'count.sh',
      'script-path': '/opt/openbaton/scripts',
    });
    expect(JSON.parse(save.content.toString())).toMatchObject({ status: 0 });
    for (let i = 0; i < 2; i++) {
      // The same body twice: two commands, not a command and its repeat.
      const exec = await springRequest({ action: 'EXECUTE', payload: 'count.sh' });
      expect(JSON.parse(exec.content.toString())).toEqual({ output: 'ran\n', err: '', status: 0 });
      expect(exec.properties.correlationId).toBeUndefined();
      expect(exec.properties.contentType).toBe('text/plain');
    }
    expect(await readFile(join(scriptsDir, 'count'), 'utf8')).toBe('run\nrun\n');
  });

  it('refuses traversal attempts and foreign script paths without writing anything', async () => {
    const { vnfm, hostname, scriptsDir } = await startPair('traversal');
    const outside = join(scriptsDir, '..', 'escaped.sh');
    for (const name of ['../escaped.sh', '/tmp/escaped.sh', '..', '.hidden']) {
      const reply = await vnfm.send(hostname, { action: 'SAVE_SCRIPTS', payload: b64('evil'), name });
      expect(reply.json.status, name).not.toBe(0);
      expect(reply.json.err).toMatch(/refused/);
    }
    const foreign = await vnfm.send(hostname, { action: 'SAVE_SCRIPTS', payload: b64('evil'), name: 'x.sh', 'script-path': '/etc' });
    expect(foreign.json.err).toMatch(/script-path "\/etc" refused/);
    const exec = await vnfm.send(hostname, { action: 'EXECUTE', payload: '../../../bin/ls /' });
    expect(exec.json.status).toBe(1);
    expect(exec.json.err).toMatch(/EXECUTE refused/);
    await expect(readFile(outside)).rejects.toThrow();
  });

  // Signed commands: test/integration/signing.test.ts.

  it('does not run a redelivered EXECUTE twice after the agent was SIGKILLed mid-run', async () => {
    const { agent, vnfm, hostname, scriptsDir, configFile } = await startPair('crash', { autodelete: false });
    deleteQueueAfterTest(`vnfm.${hostname}.actions`);
    const side = join(scriptsDir, '..', 'side-effect.log');
    const release = join(scriptsDir, '..', 'release');
    onTestFinished(() => writeFile(release, ''));
    const script = `echo run >> ${side}\nfor i in $(seq 1 600); do [ -f ${release} ] && exit 0; sleep 0.1; done\n`;
    expect((await vnfm.send(hostname, { action: 'SAVE_SCRIPTS', payload: b64(script), name: 'slow.sh' })).json.status).toBe(0);

    vnfm.publishRaw(hostname, JSON.stringify({ action: 'EXECUTE', payload: 'slow.sh' }), { correlationId: 'crash-1' });
    await waitFor(async () => (await readFile(side, 'utf8').catch(() => '')) === 'run\n', {
      timeoutMs: 15_000,
      what: 'the script to start',
    });
    await agent.stop('SIGKILL');
    expect(await queueExists(`vnfm.${hostname}.actions`)).toBe(true);

    const restarted = spawnAgent(['--config', configFile]);
    const reply = await vnfm.waitReply('crash-1', 20_000);
    expect(reply.json).toEqual({ output: '', err: 'interrupted by agent restart; not re-run', status: 1 });
    expect(await readFile(side, 'utf8')).toBe('run\n');
    await waitFor(() => vnfm.hellosFrom(hostname) >= 2, { timeoutMs: 10_000, what: 'the hello of the restarted agent' });
    await waitFor(() => restarted.logs.some((line) => line.msg === 'redelivered EXECUTE was interrupted by an agent restart; not re-run'), {
      timeoutMs: 5_000,
      what: 'the log line of the interrupted EXECUTE',
    });
  });

  it('finishes the running command, replies and exits 0 on SIGTERM', async () => {
    const { agent, vnfm, hostname, scriptsDir } = await startPair('sigterm');
    const started = join(scriptsDir, '..', 'started');
    const release = join(scriptsDir, '..', 'release');
    const script = `touch ${started}\nfor i in $(seq 1 600); do [ -f ${release} ] && break; sleep 0.05; done\necho finished\n`;
    expect((await vnfm.send(hostname, { action: 'SAVE_SCRIPTS', payload: b64(script), name: 'graceful.sh' })).json.status).toBe(0);
    const replied = vnfm.send(hostname, { action: 'EXECUTE', payload: 'graceful.sh' }, { timeoutMs: 30_000 });
    await waitFor(
      async () =>
        await readFile(started)
          .then(() => true)
          .catch(() => false),
      { timeoutMs: 15_000, what: 'the script to start' },
    );
    agent.child.kill('SIGTERM');
    await waitFor(() => agent.logged('shutting down: finishing the running command first'), {
      timeoutMs: 10_000,
      what: 'the shutdown log line',
    });
    await writeFile(release, '');
    expect((await replied).json).toEqual({ output: 'finished\n', err: '', status: 0 });
    expect(await withDeadline(agent.exited, 15_000, 'the agent to exit after SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
