// Child process of the deployment-scale benchmark: many in-process EMS agents (the `@vnfkit/ems-agent` library,
// real script processes) sharing a few AMQP connections, driven by the parent over IPC. It records when every
// script run started and ended so the parent can compute how many executions were in flight at once.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { AGENT_TRANSPORT_MODE, createAgent, processRunner, type Agent, type AgentTransport, type ScriptRunner } from '@vnfkit/ems-agent';
import { AmqpTransport, type TransportEvent } from '@vnfkit/transport';

/** Parent → farm. */
export type FarmRequest =
  | { kind: 'boot'; amqpUrl: string; emsType: string; root: string; hostnames: string[]; agentsPerLink: number }
  | { kind: 'runs' }
  | { kind: 'close' };

/** Farm → parent. */
export type FarmReply =
  | { kind: 'booted'; agents: number; ms: number }
  | { kind: 'runs'; runs: [number, number][] }
  | { kind: 'closed' }
  | { kind: 'error'; message: string };

const agents: Agent[] = [];
const links: AmqpTransport[] = [];
/** [start, end] of every script run since the last `runs` request, in ms since the epoch (comparable across processes). */
let runs: [number, number][] = [];

const now = (): number => performance.timeOrigin + performance.now();

const countingRunner: ScriptRunner = {
  async run(request) {
    const start = now();
    try {
      return await processRunner.run(request);
    } finally {
      runs.push([start, now()]);
    }
  },
};

function send(reply: FarmReply): void {
  process.send?.(reply);
}

/** Transport events fanned out to every agent on the connection (hundreds of listeners: no max-listeners warning). */
const fanouts = new WeakMap<AmqpTransport, EventEmitter>();

/** One agent's view of a shared transport: events through its fan-out, the rest delegated; close is the farm's. */
function agentView(link: AmqpTransport): AgentTransport {
  const events = fanouts.get(link) ?? new EventEmitter().setMaxListeners(0);
  if (!fanouts.has(link)) {
    for (const event of ['connected', 'disconnected', 'reconnected'] as const) link.on(event, () => events.emit(event));
    fanouts.set(link, events);
  }
  const view: AgentTransport = {
    declareQueue: (name, options) => link.declareQueue(name, options),
    bindQueue: (queue, exchange, routingKey) => link.bindQueue(queue, exchange, routingKey),
    publish: (...args: Parameters<AgentTransport['publish']>) => link.publish(...args),
    consume: (queue, handler, options) => link.consume(queue, handler, options),
    on: (event: TransportEvent, listener: () => void) => {
      events.on(event, listener);
      return view;
    },
    off: (event: TransportEvent, listener: () => void) => {
      events.off(event, listener);
      return view;
    },
    close: async () => undefined, // the farm closes the shared transport
  };
  return view;
}

async function openLink(amqpUrl: string, name: string): Promise<AmqpTransport> {
  // The agent daemon's transport settings (createAgentTransport), one connection for a group of agents.
  const link = await AmqpTransport.create({ ...AGENT_TRANSPORT_MODE, url: amqpUrl, connectionName: name });
  await new Promise<void>((resolve) => {
    link.on('connected', resolve);
    link.start();
  });
  links.push(link);
  return link;
}

async function boot(request: Extract<FarmRequest, { kind: 'boot' }>): Promise<void> {
  const t0 = performance.now();
  const groups: string[][] = [];
  for (let i = 0; i < request.hostnames.length; i += request.agentsPerLink)
    groups.push(request.hostnames.slice(i, i + request.agentsPerLink));
  await Promise.all(
    groups.map(async (hostnames, g) => {
      const link = await openLink(request.amqpUrl, `vnfkit-bench-farm ${process.pid}/${g}`);
      // One at a time per connection: each start is a few broker round trips.
      for (const hostname of hostnames) {
        const dir = join(request.root, hostname);
        const agent = await createAgent({
          config: { hostname, type: request.emsType, scripts_dir: join(dir, 'scripts'), state_dir: join(dir, 'state') },
          transport: agentView(link),
          runner: countingRunner,
        });
        await agent.start();
        agents.push(agent);
      }
    }),
  );
  send({ kind: 'booted', agents: agents.length, ms: performance.now() - t0 });
}

async function close(): Promise<void> {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(links.splice(0).map((l) => l.close()));
  send({ kind: 'closed' });
  process.disconnect?.();
}

process.on('message', (message: FarmRequest) => {
  const handle = async (): Promise<void> => {
    switch (message.kind) {
      case 'boot':
        return boot(message);
      case 'runs':
        send({ kind: 'runs', runs });
        runs = [];
        return;
      case 'close':
        return close();
    }
  };
  handle().catch((error: unknown) => send({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});
