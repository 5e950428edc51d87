/**
 * Which VNFM replicas are alive, as the broker sees it: each replica consumes a queue of its own,
 * `vnfkit.replica.<endpoint>.<replica id>` (auto-delete: it goes with the replica's connection, and the transport
 * declares it again after a reconnect). Another replica asks the broker whether that queue still has a consumer.
 * The name holds the endpoint, so the per-VNFM broker user Open Baton's NFVO creates may declare it.
 */
import type { Consumer, Transport } from '@vnfkit/transport';

export class ReplicaPresence {
  private consumer: Consumer | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly endpoint: string,
    readonly id: string,
  ) {}

  private queueOf(id: string): string {
    return `vnfkit.replica.${this.endpoint}.${id}`;
  }

  /** Announces this replica (until its connection or {@link close} ends it). */
  async start(): Promise<void> {
    const queue = await this.transport.declareQueue(this.queueOf(this.id), { autoDelete: true });
    this.consumer = await this.transport.consume(queue, async () => undefined);
  }

  /** True while the replica `id` is connected to the broker (its presence queue has a consumer). */
  async alive(id: string): Promise<boolean> {
    if (id === this.id) return true;
    const state = await this.transport.inspectQueue(this.queueOf(id));
    return state !== undefined && state.consumers > 0;
  }

  async close(): Promise<void> {
    await this.consumer?.cancel();
  }
}
