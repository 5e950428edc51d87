// The agent transport's publishes across a dropped connection (real RabbitMQ): a reply published while the
// link reconnects waits for the new connection instead of failing, so the reply of a script that ran
// still reaches the VNFM — also when the command itself vanished with an auto-delete queue.
import { describe, expect, it } from 'vitest';
import { closeConnectionNamed, SKIP_BROKER_TESTS } from '../helpers/broker.js';
import { transportWithQueue } from '../helpers/transport-queue.js';
import { waitFor } from '../helpers/wait-for.js';

describe.skipIf(SKIP_BROKER_TESTS)('agent transport publishes across a reconnect (real RabbitMQ)', () => {
  it('a publish made while the connection is down is sent once the link is back; before start() it fails at once', async () => {
    const {
      transport: link,
      name,
      queue,
      received,
    } = await transportWithQueue('publish-wait', { reconnectMinDelayMs: 200, reconnectMaxDelayMs: 400, publishTimeoutMs: 15_000 });
    await expect(link.publish('', queue, 'too early')).rejects.toThrow(/not connected/);
    const events: string[] = [];
    // Published from the 'disconnected' listener, so it is certainly issued while the link is down.
    let whileDown: Promise<void> | undefined;
    let connectedWhenDown: boolean | undefined;
    link.on('disconnected', () => {
      events.push('disconnected');
      connectedWhenDown = link.state === 'open';
      whileDown ??= link.publish('', queue, 'while down');
    });
    link.on('reconnected', () => events.push('reconnected'));
    link.start();
    await waitFor(() => link.state === 'open', { what: 'the link to connect' });

    expect(await closeConnectionNamed(name)).toBe(1);
    await waitFor(() => whileDown !== undefined, { what: 'the link to notice the drop' });
    expect(connectedWhenDown).toBe(false);
    // Waits for the reconnect, then is confirmed and delivered once.
    await whileDown;
    expect(events).toEqual(['disconnected', 'reconnected']);
    await waitFor(() => received.includes('while down'), { what: 'the delivery after the reconnect' });
    expect(received).toEqual(['while down']);

    await link.close();
    await expect(link.publish('', queue, 'after close')).rejects.toThrow(/closed/);
  });
});
