// The NFVO simulator behaves as Open Baton's 6.0 NFVO towards a VNFM written like Open Baton's Python VNFM SDK:
// commands without correlation ids, replies carrying only content_type, Gson-style `null` members, waitForVnfm
// waiting for the endpoint queue, ERROR replies without a VNFR, terminate of a VNFR that failed before its GRANT,
// injected grant faults and duplicate GRANTs. REAL RabbitMQ (a private vhost); the raw VNFM is hand-written on the
// transport (no AbstractVnfm) and the VIM creates no agents.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { ConfirmChannel } from 'amqplib';
import { EXCHANGE, NFVO_MANAGER_HANDLING, VNFM_NFVO_ACTIONS_REPLY, type NetworkServiceDescriptor, type Status } from '@vnfkit/protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  NfvoSimulator,
  type MessageEvent,
  type NfvoSimulatorOptions,
  type Vm,
  type VimDriver,
  type VmRequest,
} from '../../src/testing/index.js';
import { createAmqpTransport, type IncomingMessage, type Transport } from '@vnfkit/transport';
import { privateVhost, uniqueName, waitFor } from '../helpers/broker.js';
import { withTimeout } from '../helpers/wait.js';

const vhost = privateVhost('simob');
afterAll(() => vhost.remove());

/** Simulators close first (their commands in flight end), then the VNFMs and transports. */
const simCloses: (() => Promise<void>)[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of simCloses.splice(0).reverse()) await f();
  for (const f of cleanups.splice(0).reverse()) await f();
});

type Json = Record<string, unknown>;
const J = (v: unknown): string => JSON.stringify(v);

/** A VIM that creates no VMs and no agents: it only hands out hostnames and addresses. */
class NullVim implements VimDriver {
  readonly name = 'null-vim';
  readonly allocated: string[] = [];
  readonly released: string[] = [];
  private n = 0;
  allocate(request: VmRequest): Promise<Vm> {
    this.n += 1;
    const hostname = `${request.vnfrName}-${this.n}`;
    this.allocated.push(hostname);
    return Promise.resolve({
      hostname,
      vimId: this.name,
      vcId: randomUUID(),
      ips: request.networks.map((netName) => ({ netName, ip: `10.0.0.${this.n}` })),
      floatingIps: [],
    });
  }
  release(hostname: string): Promise<void> {
    this.released.push(hostname);
    return Promise.resolve();
  }
  restart(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Wraps a transport so every routing key it publishes or requests to is recorded. */
function recordingRoutes(inner: Transport, routes: { exchange: string; routingKey: string }[]): Transport {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'publish') {
        return (...args: Parameters<Transport['publish']>) => {
          routes.push({ exchange: args[0], routingKey: args[1] });
          return target.publish(...args);
        };
      }
      if (prop === 'request') {
        return (...args: Parameters<Transport['request']>) => {
          routes.push({ exchange: args[0], routingKey: args[1] });
          return target.request(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function startSim(options: Partial<NfvoSimulatorOptions> = {}) {
  const transport = await createAmqpTransport({ url: vhost.url });
  cleanups.push(() => transport.close());
  const vim = new NullVim();
  const sim = await NfvoSimulator.create({ transport, vim, brokerUrl: vhost.url, commandTimeoutMs: 5_000, ...options });
  simCloses.push(() => sim.close());
  const messages: MessageEvent[] = [];
  sim.on('message', (m) => messages.push(m));
  const statuses: { name: string; status: Status }[] = [];
  sim.on('vnfr-status', (e) => statuses.push({ name: e.name, status: e.status }));
  return { sim, vim, messages, statuses };
}

/** A command the raw VNFM got, as it came off the wire. */
interface Command {
  message: IncomingMessage;
  body: Json;
}

/**
 * A VNFM written like Open Baton's Python VNFM SDK, straight on the transport: it registers (an RPC to
 * `nfvo.manager.handling`), declares and binds its endpoint queue, consumes commands, sends its requests to
 * `vnfm.nfvo.actions.reply` with hand-written JSON (Python's `None` → `null` members) and answers a command by
 * publishing to the default exchange with routing key = its reply_to and ONLY content_type set (plus the command's
 * correlation id when it had one, as pika's `BasicProperties(correlation_id=props.correlation_id)` echoes it).
 */
class RawVnfm {
  readonly type = uniqueName('raw').replace(/-/g, '');
  readonly endpoint = this.type;
  readonly commands: Command[] = [];
  private channel: ConfirmChannel | undefined;

  private constructor(
    readonly transport: Transport,
    private readonly connection: Awaited<ReturnType<typeof amqp.connect>>,
  ) {}

  static async create(): Promise<RawVnfm> {
    const transport = await createAmqpTransport({ url: vhost.url });
    const connection = await amqp.connect(vhost.url);
    const vnfm = new RawVnfm(transport, connection);
    cleanups.push(async () => {
      await connection.close().catch(() => undefined);
      await transport.close();
    });
    return vnfm;
  }

  async register(): Promise<void> {
    const text = `{"action": "register", "type": ${J(this.type)}, "vnfmManagerEndpoint": {"id": null, "hbVersion": null, "type": ${J(this.type)}, "endpoint": ${J(this.endpoint)}, "endpointType": "RABBIT", "description": "python-like VNFM", "enabled": true, "active": true}}`;
    const reply = await this.transport.request(EXCHANGE, NFVO_MANAGER_HANDLING, text, { timeoutMs: 5_000, waitedFor: 'register' });
    expect(JSON.parse(reply.body.toString('utf8'))).toMatchObject({ rabbitUsername: 'guest' });
  }

  async declareEndpointQueue(): Promise<void> {
    await this.transport.declareQueue(this.endpoint, { durable: true, autoDelete: true });
    await this.transport.bindQueue(this.endpoint, EXCHANGE, this.endpoint);
  }

  /** Consumes commands; `handle` returns the reply text, or undefined for none. */
  async consume(handle: (command: Command) => Promise<string | undefined>): Promise<void> {
    await this.transport.consume(this.endpoint, async (message) => {
      const command = { message, body: JSON.parse(message.body.toString('utf8')) as Json };
      this.commands.push(command);
      const text = await handle(command);
      if (text !== undefined) await this.answer(command, text);
    });
  }

  /** register + endpoint queue + consumer. */
  async start(handle: (command: Command) => Promise<string | undefined>): Promise<void> {
    await this.register();
    await this.declareEndpointQueue();
    await this.consume(handle);
  }

  /** Publishes the reply with amqplib itself: the transport's publish would add content_encoding. */
  async answer(command: Command, text: string): Promise<void> {
    const replyTo = command.message.properties.replyTo;
    if (replyTo === undefined) throw new Error('command without reply_to');
    this.channel ??= await this.connection.createConfirmChannel();
    const properties: { contentType: string; correlationId?: string } = { contentType: 'text/plain' };
    if (command.message.properties.correlationId !== undefined) properties.correlationId = command.message.properties.correlationId;
    this.channel.publish('', replyTo, Buffer.from(text, 'utf8'), properties);
    await this.channel.waitForConfirms();
  }

  /** A VNFM → NFVO request; returns the answer's body text. */
  async request(text: string, what: string): Promise<string> {
    const reply = await this.transport.request(EXCHANGE, VNFM_NFVO_ACTIONS_REPLY, text, { timeoutMs: 4_000, waitedFor: what });
    return reply.body.toString('utf8');
  }

  commandsOf(action: string): Command[] {
    return this.commands.filter((c) => c.body['action'] === action);
  }
}

interface VduIn {
  id?: string;
  name?: string;
  scale_in_out?: number;
  vnfc?: { connection_point?: { virtual_link_reference?: string }[] }[];
}

/** The VNFR a Python VNFM builds from the INSTANTIATE's VNFD, as JSON text with its `None`s on the wire. */
function newVnfrText(instantiate: Json): string {
  const vnfd = instantiate['vnfd'] as { name: string; type?: string; endpoint?: string; vdu?: VduIn[] };
  const nsrId = (instantiate['extension'] as Record<string, string>)['nsr-id'];
  const vdus = (vnfd.vdu ?? []).map((vdu) => {
    const vnfcs = (vdu.vnfc ?? []).map(
      (c) =>
        `{"id": null, "hbVersion": null, "connection_point": ${J((c.connection_point ?? []).map((cp) => ({ virtual_link_reference: cp.virtual_link_reference })))}}`,
    );
    return `{"id": null, "hbVersion": null, "name": ${J(vdu.name)}, "parent_vdu": ${J(vdu.id)}, "scale_in_out": ${J(vdu.scale_in_out ?? 1)}, "monitoring_parameter": null, "vnfc": [${vnfcs.join(', ')}], "vnfc_instance": []}`;
  });
  return `{"id": null, "hbVersion": null, "name": ${J(vnfd.name)}, "type": ${J(vnfd.type)}, "endpoint": ${J(vnfd.endpoint)}, "parent_ns_id": ${J(nsrId)}, "status": "NULL", "requires": null, "packageId": null, "monitoring_parameter": null, "cyclicDependency": null, "lifecycle_event": [], "lifecycle_event_history": [], "vdu": [${vdus.join(', ')}]}`;
}

/** A VNFR received from the NFVO, sent back with the Python SDK's `None` members. */
function withNulls(vnfr: Json): string {
  const rest = Object.fromEntries(
    Object.entries(vnfr).filter(([k]) => !['requires', 'packageId', 'monitoring_parameter', 'cyclicDependency'].includes(k)),
  );
  return J(rest).replace(/^\{/, '{"requires": null, "packageId": null, "monitoring_parameter": null, "cyclicDependency": null, ');
}

const NULLS = [
  '"id": null',
  '"hbVersion": null',
  '"requires": null',
  '"packageId": null',
  '"monitoring_parameter": null',
  '"cyclicDependency": null',
];

/** What the Python-like VNFM sent and got during one INSTANTIATE. */
interface Trace {
  grantTexts: string[];
  grantAnswers: string[];
  allocateText?: string;
  allocateAnswer?: string;
}

/**
 * The Python SDK's INSTANTIATE: GRANT_OPERATION (`grants` times), ALLOCATE_RESOURCES with the granted VNFR, and the
 * INSTANTIATE reply with the allocated one; START is answered with the VNFR it carries.
 */
function pythonLikeHandler(vnfm: RawVnfm, trace: Trace, options: { grants?: number } = {}) {
  return async ({ body }: Command): Promise<string | undefined> => {
    switch (body['action']) {
      case 'INSTANTIATE': {
        let granted: Json = {};
        for (let i = 0; i < (options.grants ?? 1); i += 1) {
          const text = `{"action": "GRANT_OPERATION", "virtualNetworkFunctionRecord": ${newVnfrText(body)}}`;
          trace.grantTexts.push(text);
          const answer = await vnfm.request(text, 'GRANT_OPERATION');
          trace.grantAnswers.push(answer);
          const parsed = JSON.parse(answer) as Json | null;
          if (parsed?.['action'] !== 'GRANT_OPERATION')
            return `{"action": "ERROR", "nsrId": null, "exception": {"detailMessage": "grant refused"}}`;
          granted = parsed['virtualNetworkFunctionRecord'] as Json;
        }
        const vduVim = ((JSON.parse(trace.grantAnswers.at(-1) ?? '{}') as Json)['vduVim'] ?? {}) as Json;
        const allocateText = `{"action": "ALLOCATE_RESOURCES", "virtualNetworkFunctionRecord": ${withNulls(granted)}, "vimInstances": ${J(vduVim)}, "userdata": "", "keyPairs": []}`;
        trace.allocateText = allocateText;
        const allocated = await vnfm.request(allocateText, 'ALLOCATE_RESOURCES');
        trace.allocateAnswer = allocated;
        const parsed = JSON.parse(allocated) as Json | null;
        if (parsed?.['action'] !== 'ALLOCATE_RESOURCES') return `{"action": "ERROR", "exception": {"detailMessage": "allocate refused"}}`;
        return `{"action": "INSTANTIATE", "virtualNetworkFunctionRecord": ${withNulls(parsed['vnfr'] as Json)}}`;
      }
      case 'START':
        return `{"action": "START", "virtualNetworkFunctionRecord": ${withNulls(body['virtualNetworkFunctionRecord'] as Json)}, "vnfcInstance": null}`;
      default:
        return undefined;
    }
  };
}

async function pythonLikeVnfm(trace: Trace, options: { grants?: number } = {}): Promise<RawVnfm> {
  const vnfm = await RawVnfm.create();
  await vnfm.start(pythonLikeHandler(vnfm, trace, options));
  return vnfm;
}

const oneVnf = (endpoint: string, name = 'pyvnf'): NetworkServiceDescriptor => ({
  name: 'ns',
  vnfd: [
    {
      name,
      type: 'server',
      endpoint,
      vdu: [{ name: 'vdu', scale_in_out: 2, vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }] }],
    },
  ],
});

describe('NfvoSimulator as Open Baton 6.0 towards a Python-like raw VNFM', () => {
  it('deploys to ACTIVE: INSTANTIATE/START without correlation id, GRANT with null members answered, replies with only content_type accepted', async () => {
    const { sim, vim, statuses } = await startSim();
    const trace: Trace = { grantTexts: [], grantAnswers: [] };
    const vnfm = await pythonLikeVnfm(trace);
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });

    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint));
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 8_000 });

    // The commands come as Spring AMQP 1.7 sends them: a reply_to (direct reply-to), NO correlation id.
    // (A simulator that still sent correlation ids fails here.)
    const [instantiate] = vnfm.commandsOf('INSTANTIATE');
    expect(instantiate?.message.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to/);
    expect(instantiate?.message.properties.correlationId).toBeUndefined();
    expect(instantiate?.message.properties.persistent).toBe(true);
    const [start] = vnfm.commandsOf('START');
    expect(start?.message.properties.correlationId).toBeUndefined();

    // The GRANT had Python's None members on the wire and was answered (a dropped one would have timed out above).
    for (const n of NULLS) expect(trace.grantTexts[0]).toContain(n);
    const grant = JSON.parse(trace.grantAnswers[0] ?? 'null') as {
      action: string;
      grantAllowed: boolean;
      virtualNetworkFunctionRecord: { id?: string; hbVersion?: number };
    };
    expect(grant).toMatchObject({ action: 'GRANT_OPERATION', grantAllowed: true });
    expect(grant.virtualNetworkFunctionRecord.id).toEqual(expect.any(String));
    expect(grant.virtualNetworkFunctionRecord.hbVersion).toEqual(expect.any(Number));
    for (const n of NULLS.slice(2)) expect(trace.allocateText).toContain(n);
    expect(JSON.parse(trace.allocateAnswer ?? 'null')).toMatchObject({
      action: 'ALLOCATE_RESOURCES',
      vnfr: { id: grant.virtualNetworkFunctionRecord.id },
    });

    // The INSTANTIATE reply (only content_type, no correlation id) moved the VNFR to INITIALIZED, START's to ACTIVE.
    const mine = statuses.filter((s) => s.name === 'pyvnf').map((s) => s.status);
    expect(mine.indexOf('INITIALIZED')).toBeGreaterThan(-1);
    expect(mine.lastIndexOf('ACTIVE')).toBeGreaterThan(mine.indexOf('INITIALIZED'));
    const vnfr = sim.vnfr(nsrId, 'pyvnf');
    expect(vnfr.status).toBe('ACTIVE');
    expect(vnfr.id).toBe(grant.virtualNetworkFunctionRecord.id);
    expect(vnfr.lifecycle_event_history?.map((h) => h.event)).toEqual(['GRANTED', 'ALLOCATE', 'INSTANTIATE', 'START']);
    expect(vim.allocated).toEqual(['pyvnf-1']);
    expect(sim.nsStatus(nsrId)).toBe('ACTIVE');
    // One GRANT per VNF: no duplicate VNFR.
    expect(sim.duplicateVnfrs(nsrId)).toEqual([]);
  });

  it('commandCorrelationIds: true puts a correlation id on the commands (echoed back, the NS still reaches ACTIVE)', async () => {
    const { sim } = await startSim({ commandCorrelationIds: true });
    const trace: Trace = { grantTexts: [], grantAnswers: [] };
    const vnfm = await pythonLikeVnfm(trace);
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });
    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint));
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 8_000 });
    const [instantiate] = vnfm.commandsOf('INSTANTIATE');
    expect(instantiate?.message.properties.correlationId).toEqual(expect.any(String));
    expect(instantiate?.message.properties.replyTo).toEqual(expect.any(String));
    expect(vnfm.commandsOf('START')[0]?.message.properties.correlationId).toEqual(expect.any(String));
  });

  it('waitForVnfm resolves only once the registered VNFM declared its endpoint queue', async () => {
    const { sim } = await startSim();
    const vnfm = await RawVnfm.create();
    await vnfm.register();
    expect(sim.endpoints.get(vnfm.type)).toBe(vnfm.endpoint);
    // Registered but no queue: a command now would reach nobody.
    await expect(sim.waitForVnfm(vnfm.type, { timeoutMs: 1_500 })).rejects.toThrow(new RegExp(`endpoint queue ${vnfm.endpoint}`));
    await vnfm.declareEndpointQueue();
    await expect(sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 })).resolves.toBeUndefined();
  });

  it('an ERROR reply to INSTANTIATE without a VNFR puts the VNFR (granted or not) and the NS in ERROR, not NULL', async () => {
    const { sim } = await startSim();
    const vnfm = await RawVnfm.create();
    await vnfm.start(async ({ body }) => {
      if (body['action'] !== 'INSTANTIATE') return undefined;
      const name = (body['vnfd'] as { name: string }).name;
      const nsrId = (body['extension'] as Record<string, string>)['nsr-id'] ?? '';
      // 'granted' fails after its GRANT; 'early' before anything (the NFVO has no record of it yet).
      if (name === 'granted')
        await vnfm.request(`{"action": "GRANT_OPERATION", "virtualNetworkFunctionRecord": ${newVnfrText(body)}}`, 'GRANT_OPERATION');
      return `{"action": "ERROR", "nsrId": ${J(nsrId)}, "exception": {"detailMessage": "boom ${name}", "cause": null}}`;
    });
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });
    const nsd: NetworkServiceDescriptor = {
      name: 'ns',
      vnfd: ['granted', 'early'].map((name) => ({ name, type: 'x', endpoint: vnfm.endpoint, vdu: [{ name: 'v', vnfc: [{}] }] })),
    };
    const nsrId = await sim.deploy(nsd);
    await waitFor(() => sim.vnfrsOf(nsrId).length === 2 && sim.vnfrsOf(nsrId).every((v) => v.status === 'ERROR'), {
      timeoutMs: 8_000,
      what: 'both VNFRs in ERROR',
    });
    expect(sim.nsStatus(nsrId)).toBe('ERROR');
    for (const name of ['granted', 'early'])
      expect(sim.vnfr(nsrId, name).lifecycle_event_history?.at(-1)).toMatchObject({ event: 'ERROR', description: `boom ${name}` });
  });

  it('a VNFR that failed before its GRANT (INSTANTIATE never answered) is ERROR, and terminate takes the NS to TERMINATED without an empty routing key', async () => {
    const routes: { exchange: string; routingKey: string }[] = [];
    const transport = recordingRoutes(await createAmqpTransport({ url: vhost.url }), routes);
    cleanups.push(() => transport.close());
    const { sim, messages } = await startSim({ transport, commandTimeoutMs: 1_500 });
    const vnfm = await RawVnfm.create();
    await vnfm.start(() => Promise.resolve(undefined)); // registered, consuming, never answering
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });

    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint, 'mute'));
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 5_000 });
    expect(vnfm.commandsOf('INSTANTIATE')).toHaveLength(1);
    expect(sim.vnfr(nsrId, 'mute').lifecycle_event_history?.at(-1)?.description).toMatch(
      /timed out after 1500 ms waiting for VNFM .* to answer INSTANTIATE/,
    );

    await withTimeout(sim.terminate(nsrId), { timeoutMs: 3_000, what: 'terminate' });
    expect(sim.nsStatus(nsrId)).toBe('TERMINATED');
    expect(sim.vnfr(nsrId, 'mute').status).toBe('TERMINATED');
    // The spy saw the INSTANTIATE go to the endpoint, and nothing ever went to an empty routing key.
    expect(routes).toContainEqual({ exchange: EXCHANGE, routingKey: vnfm.endpoint });
    expect(routes.filter((r) => r.routingKey === '')).toEqual([]);
    expect(messages.filter((m) => m.direction === 'to-vnfm' && m.action === 'RELEASE_RESOURCES')).toEqual([]);
    expect(vnfm.commandsOf('RELEASE_RESOURCES')).toEqual([]);
  });

  it('faults.refuseGrant: the answer is ERROR with the saved VNFR (id, hbVersion) and the message; the stored VNFR is ERROR', async () => {
    const { sim } = await startSim();
    sim.faults = { refuseGrant: 'x' };
    const vnfm = await RawVnfm.create();
    let answer = '';
    let stored: { id?: string | undefined; status?: string | undefined } = {};
    await vnfm.start(async ({ body }) => {
      if (body['action'] !== 'INSTANTIATE') return undefined;
      answer = await vnfm.request(`{"action": "GRANT_OPERATION", "virtualNetworkFunctionRecord": ${newVnfrText(body)}}`, 'GRANT_OPERATION');
      const nsrId = (body['extension'] as Record<string, string>)['nsr-id'] ?? '';
      const v = sim.vnfr(nsrId, 'pyvnf');
      stored = { id: v.id, status: v.status };
      const refused = JSON.parse(answer) as { vnfr: Json };
      return `{"action": "ERROR", "virtualNetworkFunctionRecord": ${withNulls(refused.vnfr)}, "exception": {"detailMessage": "grant refused: x"}}`;
    });
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });
    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint));
    await sim.waitForNsStatus(nsrId, 'ERROR', { timeoutMs: 5_000 });
    await waitFor(() => answer !== '', { timeoutMs: 3_000, what: 'the GRANT answer' });

    const parsed = JSON.parse(answer) as {
      action: string;
      vnfr: { id?: string; hbVersion?: number; status?: string; name?: string };
      message: string;
    };
    expect(Object.keys(parsed)).toEqual(['action', 'vnfr', 'message']);
    expect(parsed.action).toBe('ERROR');
    expect(parsed.message).toBe('x');
    expect(parsed.vnfr.id).toEqual(expect.any(String));
    expect(parsed.vnfr.hbVersion).toEqual(expect.any(Number));
    expect(parsed.vnfr).toMatchObject({ name: 'pyvnf', status: 'ERROR' });
    // Right after the refusal (before the VNFM's ERROR reply) the simulator held that VNFR, in ERROR.
    expect(stored).toEqual({ id: parsed.vnfr.id, status: 'ERROR' });
    expect(sim.vnfr(nsrId, 'pyvnf').id).toBe(parsed.vnfr.id);
    expect(sim.vnfr(nsrId, 'pyvnf').status).toBe('ERROR');
    expect(sim.duplicateVnfrs(nsrId)).toEqual([]);
  });

  it("faults.answerNull { GRANT_OPERATION, 'nsr-deleted' }: the GRANT answer body is exactly null", async () => {
    const { sim } = await startSim();
    sim.faults = { answerNull: { action: 'GRANT_OPERATION', cause: 'nsr-deleted' } };
    const vnfm = await RawVnfm.create();
    let answer: string | undefined;
    await vnfm.start(async ({ body }) => {
      if (body['action'] !== 'INSTANTIATE') return undefined;
      answer = await vnfm.request(`{"action": "GRANT_OPERATION", "virtualNetworkFunctionRecord": ${newVnfrText(body)}}`, 'GRANT_OPERATION');
      return `{"action": "ERROR", "exception": {"detailMessage": "NSR deleted"}}`;
    });
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });
    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint));
    await waitFor(() => answer !== undefined, { timeoutMs: 5_000, what: 'the GRANT answer' });
    expect(answer).toBe('null');
    // The NSR is gone, as the NFVO deleted it meanwhile.
    expect(() => sim.nsStatus(nsrId)).toThrow(/no NSR/);
  });

  it('duplicateVnfrs: a VNFM that sends GRANT_OPERATION twice for one VNF (id-less VNFR, same name) yields one entry via GRANT_OPERATION', async () => {
    const { sim } = await startSim();
    const trace: Trace = { grantTexts: [], grantAnswers: [] };
    const vnfm = await pythonLikeVnfm(trace, { grants: 2 });
    await sim.waitForVnfm(vnfm.type, { timeoutMs: 3_000 });
    const nsrId = await sim.deploy(oneVnf(vnfm.endpoint));
    await sim.waitForNsStatus(nsrId, 'ACTIVE', { timeoutMs: 8_000 });
    expect(trace.grantAnswers).toHaveLength(2);
    for (const a of trace.grantAnswers) expect(JSON.parse(a)).toMatchObject({ action: 'GRANT_OPERATION' });
    const duplicates = sim.duplicateVnfrs(nsrId);
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]?.via).toBe('GRANT_OPERATION');
    expect(duplicates[0]?.vnfr.name).toBe('pyvnf');
    expect(duplicates[0]?.vnfr.id).toBeUndefined();
  });
});
