// Unit tests of the option resolution and backoff the amqp transport relies on (no broker needed).
import { ConfigError } from '@vnfkit/protocol';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/internal/backoff.js';
import { redactSecret, redactUrl } from '../src/redact.js';
import { DEFAULT_AMQP_URL, resolveAmqpOptions } from '../src/index.js';

describe('resolveAmqpOptions', () => {
  it('applies the documented defaults and freezes the result', () => {
    const o = resolveAmqpOptions({}, {});
    expect(o).toMatchObject({
      url: DEFAULT_AMQP_URL,
      heartbeatSeconds: 60,
      connectionName: 'vnfkit',
      reconnect: { initialDelayMs: 100, maxDelayMs: 30_000, jitter: 0.5 },
      connectTimeoutMs: 30_000,
      publishTimeoutMs: 30_000,
      replyMode: 'direct',
      closeTimeoutMs: 30_000,
    });
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.reconnect)).toBe(true);
  });

  it('takes the URL from AMQP_URL only when the options name none', () => {
    expect(resolveAmqpOptions({}, { AMQP_URL: 'amqps://u:p@broker:5671/vh' }).url).toBe('amqps://u:p@broker:5671/vh');
    expect(resolveAmqpOptions({ url: 'amqp://h' }, { AMQP_URL: 'amqps://other' }).url).toBe('amqp://h');
  });

  it('rejects bad values with a ConfigError naming the field, without echoing the URL', () => {
    expect(() => resolveAmqpOptions({ url: 'http://guest:secret@h' }, {})).toThrow(ConfigError);
    expect(() => resolveAmqpOptions({ url: 'http://guest:secret@h' }, {})).not.toThrow(/secret/);
    expect(() => resolveAmqpOptions({ url: 'not a url' }, {})).toThrow(/url/);
    expect(() => resolveAmqpOptions({ connectTimeoutMs: 0 }, {})).toThrow(/connectTimeoutMs/);
    expect(() => resolveAmqpOptions({ publishTimeoutMs: -1 }, {})).toThrow(/publishTimeoutMs/);
    expect(() => resolveAmqpOptions({ reconnect: { jitter: 2 } }, {})).toThrow(/reconnect\.jitter/);
    expect(() => resolveAmqpOptions({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }, {})).toThrow(/maxDelayMs/);
    expect(() => resolveAmqpOptions({ replyMode: 'pigeon' as 'direct' }, {})).toThrow(/replyMode/);
    expect(resolveAmqpOptions({ heartbeatSeconds: 0 }, {}).heartbeatSeconds).toBe(0);
  });
});

describe('backoffDelay', () => {
  const bounds = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5 };

  it('doubles per attempt up to the cap', () => {
    const noJitter = { ...bounds, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 40].map((a) => backoffDelay(a, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('takes a random part of at most `jitter` off each delay', () => {
    expect(backoffDelay(2, bounds, () => 0)).toBe(400);
    expect(backoffDelay(2, bounds, () => 1)).toBe(200);
    expect(backoffDelay(9, { ...bounds, jitter: 1 }, () => 1)).toBe(0);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, bounds);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

describe('URL redaction', () => {
  it('hides the password in URLs and in free text', () => {
    expect(redactUrl('amqp://guest:s3cret@host:5672/vh')).toBe('amqp://guest:***@host:5672/vh');
    expect(redactUrl('amqp://host')).toBe('amqp://host');
    expect(redactUrl('::nonsense')).toBe('(invalid URL)');
    expect(redactSecret('failed for amqp://guest:p%40ss@host and p@ss', 'amqp://guest:p%40ss@host')).toBe(
      'failed for amqp://guest:***@host and ***',
    );
    expect(redactSecret('nothing to hide', 'amqp://host')).toBe('nothing to hide');
  });
});
