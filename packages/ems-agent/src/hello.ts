import { backoffDelay, UnroutableError, type PublishProperties } from '@vnfkit/transport';
import type { Logger } from 'pino';
import type { AgentTransport } from './transport/agent-transport.js';

/**
 * Between hellos no queue took: the VNFM's `ems.<type>.register` is auto-delete (Open Baton's flags), so it is gone
 * while its VNFM is down or reconnecting — after a broker restart, say — and a VM that boots then must not be lost.
 */
const RETRY = { initialDelayMs: 250, maxDelayMs: 10_000, jitter: 0.2 } as const;

/** What {@link Hellos} needs. */
export interface HellosInput {
  transport: Pick<AgentTransport, 'publish'>;
  registerQueue: string;
  logger: Logger;
  /** The hello's body and properties, built anew for each attempt. */
  message: () => { body: Uint8Array; properties: PublishProperties };
  /** False once the agent is closing: no more hellos. */
  wanted: () => boolean;
}

/**
 * The agent's hellos. Each is published `mandatory`: one the broker returns because no VNFM's register queue exists
 * yet is sent again, with backoff, until a queue takes it. A new hello (every connection sends one) replaces the
 * attempts of the previous. The Open Baton EMS sends one hello per connection, after binding the register queue
 * (openbaton/ems `ems/ems.py`); a VNFM then never hears of a VM that booted while the register queue was gone and
 * fails its VNFR after the agent start timeout.
 */
export class Hellos {
  private round = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly input: HellosInput) {}

  /** Sends a hello now (and again until a queue takes it). Resolves after the first attempt. */
  say(): Promise<void> {
    this.stop();
    return this.attempt(++this.round, 0);
  }

  /** Cancels a pending retry. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async attempt(round: number, attempt: number): Promise<void> {
    const { transport, registerQueue, logger } = this.input;
    if (round !== this.round || !this.input.wanted()) return;
    const { body, properties } = this.input.message();
    try {
      await transport.publish('', registerQueue, body, { ...properties, mandatory: true });
      logger.info({ registerQueue, ...(attempt > 0 ? { attempts: attempt + 1 } : {}) }, 'hello sent');
    } catch (error) {
      if (!(error instanceof UnroutableError)) {
        // Not sent (the connection went): the next connection says hello again.
        logger.warn({ err: error }, 'cannot send the hello yet; will retry after reconnect');
        return;
      }
      if (round !== this.round || !this.input.wanted()) return;
      const retryInMs = backoffDelay(attempt, RETRY);
      // Once per round at warn (the VNFM is down or reconnecting), then quiet.
      if (attempt === 0)
        logger.warn(
          { registerQueue, retryInMs },
          'no VNFM listens on the register queue yet (it does not exist); saying hello again until one does',
        );
      else logger.debug({ registerQueue, attempt, retryInMs }, 'hello still not taken; retrying');
      this.timer = setTimeout(() => void this.attempt(round, attempt + 1), retryInMs);
      this.timer.unref();
    }
  }
}
