import type { ConfirmChannel, Options } from 'amqplib';
import { TimeoutError, toError } from '@vnfkit/protocol';
import { type BlockState, writeInOrder } from '../internal/publish-flow.js';

/** What one confirmed publish needs. */
export interface ConfirmTarget {
  exchange: string;
  routingKey: string;
  timeoutMs: number;
  flow: BlockState;
  payload: Buffer;
  options: Options.Publish;
  /** Called once the frames went to amqplib (the broker may take the message from then on). */
  onWritten?: () => void;
}

/**
 * Publishes on a confirm channel and resolves once the broker acknowledged the message. Writes on one
 * channel go out in call order and wait for amqplib's `drain` when its write buffer is full, so a burst
 * of publishes (or a broker that stopped reading) does not pile up frames in memory. The deadline
 * (`timeoutMs`, then a `TimeoutError`) is paused while the broker blocks the connection (resource
 * alarm): such a publish waits for the alarm to clear instead of failing while it may still be delivered.
 */
export function confirmPublish(channel: ConfirmChannel, target: ConfirmTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const cancelDeadline = target.flow.deadline(target.timeoutMs, () => {
      if (settled) return;
      settled = true;
      reject(
        new TimeoutError(
          `the broker to confirm a publish to ${target.exchange || '(default exchange)'}/${target.routingKey}`,
          target.timeoutMs,
        ),
      );
    });
    const done = (error: unknown): void => {
      cancelDeadline();
      if (settled) return;
      settled = true;
      if (error) reject(toError(error));
      else resolve();
    };
    writeInOrder(channel, {
      stillWanted: () => !settled,
      write: () => {
        const accepted = channel.publish(target.exchange, target.routingKey, target.payload, target.options, done);
        target.onWritten?.();
        return accepted;
      },
    }).catch(done);
  });
}
