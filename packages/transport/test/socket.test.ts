import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { amqplibSocket, coalesceWrites } from '../src/amqp/socket.js';

describe('coalesceWrites', () => {
  it('corks on the first write of a tick and uncorks once after it, so a burst leaves in one writev', async () => {
    const calls: string[] = [];
    const socket = {
      write: (chunk: unknown) => {
        calls.push(`write ${String(chunk)}`);
        return true;
      },
      cork: () => calls.push('cork'),
      uncork: () => calls.push('uncork'),
    };
    coalesceWrites(socket);
    socket.write('a');
    socket.write('b');
    expect(calls).toEqual(['cork', 'write a', 'write b']);
    await new Promise((resolve) => process.nextTick(resolve));
    socket.write('c');
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toEqual(['cork', 'write a', 'write b', 'uncork', 'cork', 'write c', 'uncork']);
  });

  it('delivers every byte in order over a real socket, and keeps the write callback and return value', async () => {
    const received: Buffer[] = [];
    const server = createServer((peer) => peer.on('data', (data: Buffer) => received.push(data)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    coalesceWrites(client);
    const written = new Promise<void>((resolve, reject) => client.write('3', (error) => (error ? reject(error) : resolve())));
    expect(client.write('1')).toBe(true);
    client.write(Buffer.from('2'));
    await written;
    await expect.poll(() => Buffer.concat(received).toString()).toBe('312');
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds the socket of an amqplib connection, and nothing in anything else', () => {
    const stream = { write: () => true, cork: () => undefined, uncork: () => undefined };
    expect(amqplibSocket({ connection: { stream } })).toBe(stream);
    expect(amqplibSocket({ connection: {} })).toBeUndefined();
    expect(amqplibSocket(undefined)).toBeUndefined();
  });
});
