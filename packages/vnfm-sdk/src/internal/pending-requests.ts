import { TimeoutError, TransportError, toError } from '@vnfkit/protocol';
import type { IncomingMessage, RequestOptions } from '../transport/transport.js';

interface Pending {
  resolve: (m: IncomingMessage) => void;
  reject: (e: Error) => void;
  options: RequestOptions & { waitedFor: string };
  send: () => Promise<void> | void;
}

/**
 * The RPC bookkeeping both transports share: one entry per correlation id, a deadline per request,
 * abort support, and what happens to requests in flight when the link drops (fail, or re-send when
 * marked idempotent).
 */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  /** Registers a request, sends it, and resolves with the reply delivered to {@link settle}. */
  start(correlationId: string, input: { options: RequestOptions & { waitedFor: string }; send: () => Promise<void> | void }): Promise<IncomingMessage> {
    const { options } = input;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(correlationId);
      };
      const timer = setTimeout(() => {
        done();
        reject(new TimeoutError(options.waitedFor, options.timeoutMs));
      }, options.timeoutMs);
      const onAbort = (): void => {
        done();
        reject(new TransportError(`request aborted while waiting for ${options.waitedFor}`, { cause: options.signal?.reason }));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const entry: Pending = {
        options,
        send: input.send,
        resolve: (m) => {
          done();
          resolve(m);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      this.pending.set(correlationId, entry);
      Promise.resolve()
        .then(() => input.send())
        .catch((error: unknown) => entry.reject(toError(error)));
    });
  }

  /** Delivers a reply; returns false for a late or unknown one (dropped, like direct reply-to does). */
  settle(correlationId: string | undefined, message: IncomingMessage): boolean {
    const entry = correlationId === undefined ? undefined : this.pending.get(correlationId);
    if (!entry) return false;
    entry.resolve(message);
    return true;
  }

  /** The link dropped: non-idempotent requests fail now; idempotent ones wait for {@link resendAll}. */
  linkLost(): void {
    for (const entry of [...this.pending.values()]) {
      if (!entry.options.idempotent) entry.reject(new TransportError(`connection lost while waiting for ${entry.options.waitedFor}`));
    }
  }

  /** The link is back: re-sends the idempotent requests still waiting. */
  async resendAll(): Promise<void> {
    for (const entry of [...this.pending.values()]) {
      await Promise.resolve(entry.send()).catch((error: unknown) => entry.reject(toError(error)));
    }
  }

  /** Fails every request (transport closing). */
  failAll(reason: string): void {
    for (const entry of [...this.pending.values()]) entry.reject(new TransportError(`${reason} while waiting for ${entry.options.waitedFor}`));
  }
}
