import { ConfigError, toError } from '@vnfkit/protocol';
import type { Logger } from 'pino';
import { RequeueError } from '../requeue-error.js';
import type { ConsumeOptions, IncomingMessage, MessageHandler } from '../transport.js';

/** One delivery waiting for, or running in, a handler. */
export interface RunnerDelivery {
  readonly message: IncomingMessage;
  /** Acknowledges the delivery (a no-op when its channel is gone: the broker redelivers it). */
  ack(): void;
  /** Rejects the delivery; `requeue` puts it back in the queue (redelivered=true). */
  nack(requeue: boolean): void;
  /** True once the channel the delivery came on is gone (the broker has requeued it already). */
  stale(): boolean;
}

/**
 * Runs a consumer's handler with a concurrency limit: deliveries beyond the limit wait in order.
 * Handler resolves → ack; handler throws → nack without requeue, or with it for a {@link RequeueError}. Shared by
 * both transports.
 */
export class ConsumerRunner {
  private readonly waiting: RunnerDelivery[] = [];
  private active = 0;
  private stopped = false;
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly input: { handler: MessageHandler; concurrency: number; log: Logger }) {}

  /** Handlers running now. */
  get running(): number {
    return this.active;
  }

  /** Deliveries received but not yet handed to the handler. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Accepts a delivery; after {@link stop} it goes straight back to the broker. */
  push(delivery: RunnerDelivery): void {
    if (this.stopped) {
      safely(() => delivery.nack(true));
      return;
    }
    this.waiting.push(delivery);
    this.next();
  }

  /** Forgets deliveries whose channel is gone (the broker requeued them when the channel closed). */
  dropStale(): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]?.stale()) this.waiting.splice(i, 1);
  }

  /** Stops starting handlers: waiting deliveries are requeued (they come back with redelivered=true). */
  stop(): void {
    this.stopped = true;
    for (const delivery of this.waiting.splice(0)) safely(() => delivery.nack(true));
  }

  /** Resolves when no handler runs (at once if none does). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.add(resolve));
  }

  private next(): void {
    while (this.active < this.input.concurrency && this.waiting.length > 0) {
      const delivery = this.waiting.shift() as RunnerDelivery;
      if (delivery.stale()) continue;
      this.active += 1;
      void this.run(delivery);
    }
  }

  private async run(delivery: RunnerDelivery): Promise<void> {
    try {
      await this.input.handler(delivery.message);
      safely(() => delivery.ack());
    } catch (error) {
      const requeue = error instanceof RequeueError;
      this.input.log[requeue ? 'warn' : 'error'](
        { err: toError(error).message, routingKey: delivery.message.routingKey },
        requeue
          ? 'message handler could not handle the message now; it goes back to the queue'
          : 'message handler failed; message rejected without requeue',
      );
      safely(() => delivery.nack(requeue));
    } finally {
      this.active -= 1;
      if (this.active === 0) {
        for (const resolve of [...this.idleWaiters]) resolve();
        this.idleWaiters.clear();
      }
      this.next();
    }
  }
}

/** Acks and nacks on a channel that closed meanwhile throw; the broker redelivers those messages anyway. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* channel gone: nothing to settle */
  }
}

/** A consumer's prefetch (default 1) and handler concurrency (default and at most the prefetch), checked. */
export function consumeLimits(options: ConsumeOptions): { prefetch: number; concurrency: number } {
  const prefetch = options.prefetch ?? 1;
  if (!Number.isInteger(prefetch) || prefetch < 1)
    throw new ConfigError(`consume option prefetch must be a positive integer, got ${String(options.prefetch)}`);
  const concurrency = Math.min(options.concurrency ?? prefetch, prefetch);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(`consume option concurrency must be a positive integer, got ${String(options.concurrency)}`);
  }
  return { prefetch, concurrency };
}
