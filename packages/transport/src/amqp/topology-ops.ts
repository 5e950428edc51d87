import type { Channel } from 'amqplib';
import { TransportError } from '@vnfkit/protocol';
import { isChannelClosed, watchChannel } from '../internal/channel-slot.js';
import { Topology } from '../internal/topology.js';
import type { ExchangeOptions, QueueOptions, QueueState } from '../transport.js';
import type { ConnectionKeeper, Link } from './connection.js';
import { amqpCode, exchangeArguments, queueArguments } from './wire.js';

/**
 * Exchanges, queues and bindings: declared on the admin channel (one at a time: a refused declaration closes
 * that channel), recorded, and declared again on every new connection.
 */
export class TopologyOps {
  readonly topology = new Topology();

  constructor(private readonly keeper: ConnectionKeeper) {}

  /** Declares everything recorded on a new connection; server-named queues get new names. */
  async restore(link: Link): Promise<void> {
    for (const ex of this.topology.exchanges.values()) {
      await this.restoreStep(link, `exchange ${ex.name}`, (ch) => ch.assertExchange(ex.name, ex.type, exchangeArguments(ex.options)));
    }
    for (const q of this.topology.queues.values()) {
      await this.restoreStep(link, `queue ${q.handle}`, async (ch) => {
        if (!q.serverNamed) {
          await ch.assertQueue(q.current, queueArguments(q.options));
          return;
        }
        // A non-exclusive server-named queue outlives the connection: keep it (and its messages) when it is still there.
        if (!q.options.exclusive && (await this.check(link, q.current)) !== undefined) return;
        const ok = await ch.assertQueue('', queueArguments(q.options));
        this.keeper.log.debug({ handle: q.handle, queue: ok.queue }, 'server-named queue re-declared under a new name');
        this.topology.rename(q.handle, ok.queue);
      });
    }
    for (const b of this.topology.bindings) {
      await this.restoreStep(link, `binding ${b.queue} → ${b.exchange}`, (ch) =>
        ch.bindQueue(this.topology.resolve(b.queue), b.exchange, b.routingKey),
      );
    }
  }

  private async restoreStep(link: Link, what: string, step: (channel: Channel) => Promise<unknown>): Promise<void> {
    let channel: Channel | undefined;
    try {
      channel = await link.admin.get();
      await step(channel);
    } catch (error) {
      if (this.keeper.failsAttempt(link, error)) {
        if (!link.lost)
          this.keeper.log.warn({ what, err: this.keeper.describe(channel, error) }, 'restoring the topology failed; connecting again');
        throw error;
      }
      this.keeper.log.error(
        { what, err: this.keeper.describe(channel, error) },
        'restoring the topology after a reconnect failed for one item; skipped',
      );
    }
  }

  /** A passive declare of `name` on a throwaway channel (a missing queue closes its channel). */
  async check(link: Link, name: string): Promise<QueueState | undefined> {
    const channel = await link.connection.createChannel();
    watchChannel(channel, { name: 'check', log: this.keeper.log.child({}, { level: 'silent' }) });
    try {
      const ok = await channel.checkQueue(name);
      return { messages: ok.messageCount, consumers: ok.consumerCount };
    } catch (error) {
      if (amqpCode(error) === 404) return undefined;
      throw error;
    } finally {
      if (!isChannelClosed(channel)) await channel.close().catch(() => undefined);
    }
  }

  inspectQueue(name: string): Promise<QueueState | undefined> {
    return this.keeper.onLink(`inspecting queue ${name}`, (link) => this.check(link, this.topology.resolve(name)));
  }

  private adminOp<T>(what: string, op: (channel: Channel) => Promise<T>): Promise<T> {
    return this.keeper.onLink(what, (link, used) => {
      const task = async (): Promise<T> => op(used(await link.admin.get()));
      const result = link.adminChain.then(task, task);
      link.adminChain = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    });
  }

  /**
   * Publishing to a missing exchange makes the broker close the channel, failing every other publish and
   * (for the RPC channel) every reply in flight on it. A passive check on the admin channel, once per
   * exchange and connection, turns that into an error for the one publish that deserves it.
   */
  exchangeExists(link: Link, exchange: string): Promise<void> {
    if (exchange === '' || this.topology.exchanges.has(exchange)) return Promise.resolve();
    let check = link.exchangeChecks.get(exchange);
    if (!check) {
      const task = async (): Promise<void> => {
        const channel = await link.admin.get();
        try {
          await channel.checkExchange(exchange);
        } catch (error) {
          // Only a definite "no such exchange" stops the publish; anything else (e.g. no permission for a
          // passive declare) is left to the publish itself.
          if (amqpCode(error) === 404) throw error;
        }
      };
      check = link.adminChain.then(task, task);
      link.adminChain = check.then(
        () => undefined,
        () => undefined,
      );
      void check.catch(() => link.exchangeChecks.delete(exchange));
      link.exchangeChecks.set(exchange, check);
    }
    return check;
  }

  async declareExchange(name: string, type: 'topic' | 'direct' | 'fanout', options: ExchangeOptions = {}): Promise<void> {
    if (!this.keeper.deferring)
      await this.adminOp(`declaring exchange ${name}`, (ch) => ch.assertExchange(name, type, exchangeArguments(options)));
    this.topology.addExchange({ name, type, options: { ...options } });
  }

  async declareQueue(name: string, options: QueueOptions = {}): Promise<string> {
    if (this.keeper.deferring) {
      if (name === '') throw new TransportError('a server-named queue needs a connection: start the transport before declaring it');
      this.topology.addQueue(name, name, { ...options });
      return name;
    }
    const ok = await this.adminOp(`declaring queue ${name || '(server-named)'}`, (ch) =>
      ch.assertQueue(name === '' ? '' : this.topology.resolve(name), queueArguments(options)),
    );
    this.topology.addQueue(name, ok.queue, { ...options });
    return ok.queue;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    if (!this.keeper.deferring) {
      await this.adminOp(`binding queue ${queue} to ${exchange || '(default)'} with ${routingKey}`, (ch) =>
        ch.bindQueue(this.topology.resolve(queue), exchange, routingKey),
      );
    }
    this.topology.addBinding(queue, exchange, routingKey);
  }

  async deleteQueue(name: string): Promise<void> {
    if (!this.keeper.deferring) await this.adminOp(`deleting queue ${name}`, (ch) => ch.deleteQueue(this.topology.resolve(name)));
    this.topology.removeQueue(name);
  }
}
