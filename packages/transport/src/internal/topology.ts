import type { ExchangeOptions, QueueOptions } from '../transport.js';

/** An exchange the application declared. */
export interface ExchangeRecord {
  readonly name: string;
  readonly type: 'topic' | 'direct' | 'fanout';
  readonly options: ExchangeOptions;
}

/** A queue the application declared, under the name it first got (its handle). */
export interface QueueRecord {
  /** The name returned by the first `declareQueue`; callers keep using it. */
  readonly handle: string;
  /** The name on the broker now (differs from the handle for a server-named queue after a reconnect). */
  current: string;
  /** Declared with `''`: the broker picks a new name on every re-declaration. */
  readonly serverNamed: boolean;
  readonly options: QueueOptions;
}

/** A binding the application made; `queue` is a handle. */
export interface BindingRecord {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
}

/**
 * What the application declared, so a transport can re-declare it after a reconnect. Server-named
 * queues are tracked by handle: after a reconnect the broker gives them a new name, and bindings,
 * consumers and default-exchange publishes that use the handle follow the queue to its new name.
 */
export class Topology {
  readonly exchanges = new Map<string, ExchangeRecord>();
  readonly queues = new Map<string, QueueRecord>();
  private bindingList: BindingRecord[] = [];

  /** Bindings in declaration order. */
  get bindings(): readonly BindingRecord[] {
    return this.bindingList;
  }

  /** The broker's current name for a handle (or the name itself for queues declared by others). */
  resolve(name: string): string {
    return this.queues.get(name)?.current ?? name;
  }

  /** Records an exchange declaration. */
  addExchange(record: ExchangeRecord): void {
    this.exchanges.set(record.name, record);
  }

  /** Records a queue declaration; `name` is what was asked for (`''` = server-named), `actual` what the broker returned. */
  addQueue(name: string, actual: string, options: QueueOptions): void {
    const handle = name === '' ? actual : (this.handleOf(name) ?? name);
    const existing = this.queues.get(handle);
    if (existing) {
      existing.current = actual;
      return;
    }
    this.queues.set(handle, { handle, current: actual, serverNamed: name === '', options });
  }

  /** A server-named queue was re-declared under a new name. */
  rename(handle: string, current: string): void {
    const record = this.queues.get(handle);
    if (record) record.current = current;
  }

  /** Records a binding (once). */
  addBinding(queue: string, exchange: string, routingKey: string): void {
    const handle = this.handleOf(queue) ?? queue;
    if (this.bindingList.some((b) => b.queue === handle && b.exchange === exchange && b.routingKey === routingKey)) return;
    this.bindingList.push({ queue: handle, exchange, routingKey });
  }

  /** Forgets a queue and its bindings. */
  removeQueue(name: string): void {
    const handle = this.handleOf(name) ?? name;
    this.queues.delete(handle);
    this.bindingList = this.bindingList.filter((b) => b.queue !== handle);
  }

  /** The handle of a queue known by handle or by current name. */
  handleOf(name: string): string | undefined {
    if (this.queues.has(name)) return name;
    for (const record of this.queues.values()) if (record.current === name) return record.handle;
    return undefined;
  }
}
