import { TimeoutError, TransportError, toError } from '@vnfkit/protocol';
import { UNROUTABLE_RETRY_MS, type IncomingMessage } from '../transport.js';

/** The settings of one request that the bookkeeping needs. */
export interface PendingRequestOptions {
  timeoutMs: number;
  waitedFor: string;
  idempotent?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Handed to a request's `send` function on each (re)send. */
export interface SendContext {
  /** Aborts when the request is settled (reply, timeout, abort), so a send still waiting for the link gives up. */
  readonly signal: AbortSignal;
  /** Records the reply channel the request went out on; {@link PendingRequests.linkLost} matches on it. */
  sentOn(channel: object): void;
}

/**
 * Thrown by a `send` function when the link (not the request) failed before the broker took the message:
 * idempotent requests are then re-sent by {@link PendingRequests.resendOrphans}, others fail.
 */
export class LinkLostError extends TransportError {}

/**
 * The abort reason of a settled request's send attempt. Shared and pre-made: `abort()` without a
 * reason builds a DOMException (with a stack trace) per request, a measurable cost per RPC.
 */
const SETTLED = new Error('request settled');
/** The abort reason of a send attempt replaced by a newer one (a re-send). */
const SUPERSEDED = new Error('request sent again');

interface Entry {
  readonly correlationId: string;
  readonly options: PendingRequestOptions;
  readonly send: (context: SendContext) => Promise<void>;
  channel: object | undefined;
  orphan: boolean;
  /** The current send attempt (undefined until the first); aborted when the request settles. */
  attempt: AbortController | undefined;
  /** Times the broker returned it as unroutable ({@link PendingRequests.unroutable}). */
  returns: number;
  /** The pending re-send after a return. */
  retry: NodeJS.Timeout | undefined;
  resolve(message: IncomingMessage): void;
  reject(error: Error): void;
}

/**
 * The RPC bookkeeping both transports share: one entry per correlation id, a deadline per request,
 * abort support, and what happens to requests in flight when their reply channel goes away
 * (fail with "connection lost while waiting for …", or re-send when marked idempotent).
 */
export class PendingRequests {
  private readonly pending = new Map<string, Entry>();

  /** Requests waiting for a reply. */
  get size(): number {
    return this.pending.size;
  }

  /** True while a request with this correlation id waits for its reply. */
  has(correlationId: string): boolean {
    return this.pending.has(correlationId);
  }

  /** Registers a request, sends it, and resolves with the reply delivered to {@link settle}. */
  start(
    correlationId: string,
    input: { options: PendingRequestOptions; send: (context: SendContext) => Promise<void> },
  ): Promise<IncomingMessage> {
    const { options } = input;
    if (this.pending.has(correlationId)) {
      return Promise.reject(new TransportError(`correlation id ${correlationId} is already in use (request for ${options.waitedFor})`));
    }
    if (options.signal?.aborted) {
      return Promise.reject(
        new TransportError(`request aborted before waiting for ${options.waitedFor}`, { cause: options.signal.reason }),
      );
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        clearTimeout(entry.retry);
        options.signal?.removeEventListener('abort', onAbort);
        entry.attempt?.abort(SETTLED);
        this.pending.delete(correlationId);
      };
      const timer = setTimeout(() => {
        const unrouted =
          entry.returns > 0
            ? ` (no queue took the request: the broker returned it ${entry.returns} time${entry.returns === 1 ? '' : 's'} as unroutable)`
            : '';
        entry.reject(new TimeoutError(`${options.waitedFor}${unrouted}`, options.timeoutMs));
      }, options.timeoutMs);
      const onAbort = (): void =>
        entry.reject(new TransportError(`request aborted while waiting for ${options.waitedFor}`, { cause: options.signal?.reason }));
      const entry: Entry = {
        correlationId,
        options,
        send: input.send,
        channel: undefined,
        orphan: false,
        attempt: undefined,
        returns: 0,
        retry: undefined,
        resolve: (message) => {
          done();
          resolve(message);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(correlationId, entry);
      this.dispatch(entry);
    });
  }

  /** Delivers a reply; returns false for a late or unknown one (dropped, as direct reply-to does). */
  settle(correlationId: string | undefined, message: IncomingMessage): boolean {
    const entry = correlationId === undefined ? undefined : this.pending.get(correlationId);
    if (!entry) return false;
    entry.resolve(message);
    return true;
  }

  /**
   * The broker returned the request as unroutable (published `mandatory`, no queue bound): it reached
   * nobody, so it is sent again after {@link UNROUTABLE_RETRY_MS}, until it is routed or its deadline passes. Returns how
   * often it came back so far, 0 for an unknown or settled request.
   */
  unroutable(correlationId: string | undefined): number {
    const entry = correlationId === undefined ? undefined : this.pending.get(correlationId);
    if (!entry) return 0;
    entry.returns += 1;
    clearTimeout(entry.retry);
    entry.retry = setTimeout(() => {
      entry.retry = undefined;
      if (this.pending.get(entry.correlationId) === entry && !entry.orphan) this.dispatch(entry);
    }, UNROUTABLE_RETRY_MS);
    return entry.returns;
  }

  /** See `Transport.resendRequest`: a new send attempt of a waiting request replaces the current one. */
  resend(correlationId: string): boolean {
    const entry = this.pending.get(correlationId);
    if (!entry || entry.orphan) return false;
    clearTimeout(entry.retry);
    entry.retry = undefined;
    this.dispatch(entry);
    return true;
  }

  /**
   * The reply channel `channel` is gone (or every channel, when omitted): requests sent on it fail with
   * "`reason` while waiting for …", except idempotent ones, which wait for {@link resendOrphans}.
   */
  linkLost(reason: string, channel?: object): void {
    for (const entry of [...this.pending.values()]) {
      if (entry.channel === undefined || (channel !== undefined && entry.channel !== channel)) continue;
      this.orphan(entry, reason);
    }
  }

  /** A new reply channel is ready: re-sends the idempotent requests whose channel was lost. */
  resendOrphans(): void {
    for (const entry of [...this.pending.values()]) {
      if (!entry.orphan) continue;
      entry.orphan = false;
      this.dispatch(entry);
    }
  }

  /** Fails every request (the transport is closing). */
  failAll(reason: string): void {
    for (const entry of [...this.pending.values()])
      entry.reject(new TransportError(`${reason} while waiting for ${entry.options.waitedFor}`));
  }

  private orphan(entry: Entry, reason: string, cause?: unknown): void {
    entry.channel = undefined;
    if (entry.options.idempotent) entry.orphan = true;
    else
      entry.reject(
        new TransportError(`${reason} while waiting for ${entry.options.waitedFor}`, cause === undefined ? undefined : { cause }),
      );
  }

  private dispatch(entry: Entry): void {
    // A previous attempt still waiting for the link would publish it once more.
    entry.attempt?.abort(SUPERSEDED);
    const attempt = new AbortController();
    entry.attempt = attempt;
    const context: SendContext = {
      signal: attempt.signal,
      sentOn: (channel) => {
        if (entry.attempt === attempt) entry.channel = channel;
      },
    };
    entry.send(context).catch((error: unknown) => {
      // A failure of a superseded attempt (the request was re-sent meanwhile) is not this request's fate.
      if (!this.pending.has(entry.correlationId) || entry.orphan || entry.attempt !== attempt) return;
      if (error instanceof LinkLostError) this.orphan(entry, 'connection lost', error);
      else
        entry.reject(
          error instanceof TransportError || error instanceof TimeoutError
            ? error
            : new TransportError(`sending the request for ${entry.options.waitedFor} failed: ${toError(error).message}`, { cause: error }),
        );
    });
  }
}
