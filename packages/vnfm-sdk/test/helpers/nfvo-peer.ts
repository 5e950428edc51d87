// A minimal NFVO written for the SDK tests: answers register, GRANT_OPERATION, ALLOCATE_RESOURCES and
// SCALING the way Open Baton 6.0 does, and sends commands to a VNFM. (The full simulator is the test kit.)
import { randomUUID } from 'node:crypto';
import {
  EXCHANGE,
  NFVO_MANAGER_HANDLING,
  VNFM_NFVO_ACTIONS_REPLY,
  decodeManagerMessage,
  decodeVnfmMessage,
  encodeMessage,
  type VirtualNetworkFunctionRecord,
  type VnfmMessage,
} from '@vnfkit/protocol';
import type { Transport } from '@vnfkit/transport';

type Vnfr = VirtualNetworkFunctionRecord;

export interface PeerBehaviour {
  refuseGrant?: string;
  silentOnGrant?: boolean;
}

function assignIds<T>(value: T): T {
  if (Array.isArray(value)) return value.map(assignIds) as T;
  if (value !== null && typeof value === 'object') {
    const o = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, assignIds(v)])) as Record<string, unknown>;
    if (!('id' in o)) o['id'] = randomUUID();
    o['hbVersion'] = typeof o['hbVersion'] === 'number' ? o['hbVersion'] + 1 : 0;
    return o as T;
  }
  return value;
}

export class NfvoPeer {
  readonly requests: VnfmMessage[] = [];
  /** Whether each request (same order as `requests`) and each command's reply came persistent (delivery mode 2). */
  readonly persistent: { requests: boolean[]; replies: boolean[] } = { requests: [], replies: [] };
  readonly registrations: string[] = [];
  behaviour: PeerBehaviour = {};
  private counter = 0;

  constructor(readonly transport: Transport) {}

  async start(): Promise<void> {
    const t = this.transport;
    await t.declareExchange(EXCHANGE, 'topic', { durable: true });
    for (const q of [NFVO_MANAGER_HANDLING, VNFM_NFVO_ACTIONS_REPLY]) {
      await t.declareQueue(q, { durable: true, autoDelete: true });
      await t.bindQueue(q, EXCHANGE, q);
    }
    await t.consume(NFVO_MANAGER_HANDLING, async (m) => {
      const msg = decodeManagerMessage(m.body);
      this.registrations.push(`${msg.action}:${msg.type}`);
      if (msg.action === 'register') await t.reply(m, encodeMessage({ rabbitUsername: 'guest', rabbitPassword: 'guest' }).body);
    });
    await t.consume(
      VNFM_NFVO_ACTIONS_REPLY,
      async (m) => {
        const msg = decodeVnfmMessage(m.body);
        this.requests.push(msg);
        this.persistent.requests.push(m.properties.persistent === true);
        const answer = this.answer(msg);
        if (answer !== undefined) await t.reply(m, encodeMessage(answer).body);
      },
      { prefetch: 10, concurrency: 10 },
    );
  }

  private answer(msg: VnfmMessage): unknown {
    switch (msg.action) {
      case 'GRANT_OPERATION': {
        if (this.behaviour.silentOnGrant) return undefined;
        if (this.behaviour.refuseGrant)
          return { action: 'ERROR', vnfr: msg.virtualNetworkFunctionRecord, message: this.behaviour.refuseGrant };
        const vnfr = assignIds(msg.virtualNetworkFunctionRecord);
        vnfr.lifecycle_event_history = [{ event: 'GRANTED', description: 'granted' }];
        const vim = { name: 'vim-1', type: 'test', id: 'vim-id' };
        return {
          action: 'GRANT_OPERATION',
          grantAllowed: true,
          virtualNetworkFunctionRecord: vnfr,
          vduVim: Object.fromEntries((vnfr.vdu ?? []).map((v) => [v.id, vim])),
        };
      }
      case 'ALLOCATE_RESOURCES': {
        const vnfr = structuredClone(msg.virtualNetworkFunctionRecord);
        vnfr.hbVersion = (vnfr.hbVersion ?? 0) + 1;
        for (const vdu of vnfr.vdu ?? []) vdu.vnfc_instance = (vdu.vnfc ?? []).map((c) => this.instance(vnfr, c));
        return { action: 'ALLOCATE_RESOURCES', vnfr };
      }
      case 'SCALING': {
        const vnfr = structuredClone(msg.virtualNetworkFunctionRecord);
        vnfr.hbVersion = (vnfr.hbVersion ?? 0) + 1;
        for (const vdu of vnfr.vdu ?? []) {
          for (const c of vdu.vnfc ?? []) {
            if (!(vdu.vnfc_instance ?? []).some((i) => i.vnfComponent?.id === c.id))
              vdu.vnfc_instance = [...(vdu.vnfc_instance ?? []), this.instance(vnfr, c)];
          }
        }
        return { action: 'SCALED', vnfr };
      }
      default:
        return undefined;
    }
  }

  private instance(vnfr: Vnfr, component: { id?: string }): Record<string, unknown> {
    this.counter += 1;
    return {
      id: randomUUID(),
      hbVersion: 0,
      hostname: `${vnfr.name ?? 'vnf'}-${this.counter}`,
      vim_id: 'vim-id',
      vc_id: `vm-${this.counter}`,
      state: 'INACTIVE',
      vnfComponent: component,
      ips: [{ netName: 'private', ip: `10.0.0.${this.counter}` }],
      floatingIps: [],
    };
  }

  /** Sends an NFVO → VNFM command and returns the raw reply body (JSON-parsed). */
  async command(endpoint: string, message: unknown, timeoutMs = 10_000): Promise<Record<string, unknown> | null> {
    const reply = await this.transport.request(EXCHANGE, endpoint, encodeMessage(message).body, {
      timeoutMs,
      waitedFor: `VNFM reply on ${endpoint}`,
    });
    this.persistent.replies.push(reply.properties.persistent === true);
    return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown> | null;
  }
}
