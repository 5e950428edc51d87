// The shared test helpers are used by every suite of the package, so they are tested too.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { testSlug, uniqueName } from './names.js';
import { TeardownRegistry, teardown } from './teardown.js';
import { deferred, nextEvent, waitFor, withTimeout } from './wait.js';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : 0), { what: 'three polls', intervalMs: 1 })).toBe(3);
  });

  it('fails after the deadline naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still broken');
        },
        { what: 'the impossible', timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow('timed out after 30 ms waiting for the impossible (last error: still broken)');
  });
});

describe('withTimeout, nextEvent and deferred', () => {
  it('rejects a promise that does not settle in time', async () => {
    await expect(withTimeout(new Promise(() => undefined), { timeoutMs: 10, what: 'never' })).rejects.toThrow('waiting for never');
    const d = deferred<number>();
    d.resolve(7);
    expect(await withTimeout(d.promise, { what: 'a value' })).toBe(7);
  });

  it('resolves on the next event and removes its listener', async () => {
    const emitter = new EventEmitter();
    const next = nextEvent(emitter, 'ping');
    emitter.emit('ping');
    await next;
    expect(emitter.listenerCount('ping')).toBe(0);
    await expect(nextEvent(emitter, 'ping', { timeoutMs: 10 })).rejects.toThrow("the 'ping' event");
  });
});

describe('uniqueName', () => {
  it('combines prefix, test title slug and a random suffix into a broker-safe name', () => {
    expect(testSlug()).toBe('combines-prefix-test-tit');
    const a = uniqueName('q');
    expect(a).toMatch(/^vnfkit-test-q-combines-prefix-test-tit-[0-9a-f]{8}$/);
    expect(uniqueName('q')).not.toBe(a);
  });
});

describe('TeardownRegistry', () => {
  it('runs steps last-in first-out, all of them even when some fail, and reports every failure', async () => {
    const registry = new TeardownRegistry();
    const order: string[] = [];
    registry.add(() => order.push('first'));
    registry.add(() => {
      order.push('second');
      throw new Error('second broke');
    });
    registry.track({ close: async () => order.push('third') });
    registry.add(() => Promise.reject(new Error('fourth broke')));
    await expect(registry.runTest()).rejects.toThrow(/2 teardown steps failed: fourth broke; second broke/);
    expect(order).toEqual(['third', 'second', 'first']);
    await registry.runTest(); // nothing left
  });

  it('registers file-scoped steps outside tests and per-test steps inside them', async () => {
    const registry = new TeardownRegistry();
    let fileRan = false;
    registry.addForFile(() => (fileRan = true));
    await registry.runTest();
    expect(fileRan).toBe(false);
    await registry.runFile();
    expect(fileRan).toBe(true);
  });

  it('is installed in afterEach for the importing file', () => {
    let closed = false;
    teardown.add(() => (closed = true), 'flag');
    expect(closed).toBe(false); // checked by the next test
    lastFlag = () => closed;
  });

  it('ran the previous test’s teardown', () => {
    expect(lastFlag?.()).toBe(true);
  });
});

let lastFlag: (() => boolean) | undefined;
