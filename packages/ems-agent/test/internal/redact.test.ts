import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maskConfig, maskUrl, resolveConfig } from '../../src/config.js';
import { redactBodyReason, redactText, redactUrl } from '../../src/internal/redact.js';
import { createRootLogger } from '../../src/logger.js';

const PASSWORD = 'p@ss:w/rd@x';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

describe('redactUrl / redactText', () => {
  it('masks a password holding "@", ":" and "/" (the old maskUrl showed everything after its first "@")', () => {
    const url = `amqp://admin:${PASSWORD}@10.0.0.1:5672/%2f`;
    expect(redactUrl(url)).toBe('amqp://admin:***@10.0.0.1:5672/%2f');
    expect(maskUrl(url)).toBe('amqp://admin:***@10.0.0.1:5672/%2f');
    expect(redactUrl('amqps://u:secret@h')).toBe('amqps://u:***@h');
    expect(redactUrl('amqp://guest@h:5672')).toBe('amqp://guest@h:5672');
    expect(redactUrl('https://ghp_abcdef@github.com/o/r.git')).toBe('https://***@github.com/o/r.git');
    expect(redactUrl('ssh://git@github.com/o/r.git')).toBe('ssh://git@github.com/o/r.git');
    expect(redactText(`Invalid URL: amqp://admin:${PASSWORD}@host/ and "https://u:t0k@h/x"`)).toBe(
      'Invalid URL: amqp://admin:***@host/ and "https://u:***@h/x"',
    );
  });

  it('withholds the body quote of a "not JSON" refusal', () => {
    const reason =
      'command refused: EmsCommand: body is not JSON (Unexpected token \'x\', "{"env":{"DB_PASSWORD":"hunter2"}x" is not valid JSON): "{\\"env\\":{\\"DB_PASSWORD\\":\\"hunter2\\"}x"';
    const logged = redactBodyReason(reason);
    expect(logged).not.toContain('hunter2');
    expect(logged).toBe('command refused: EmsCommand: body is not JSON (details withheld from the log: they quote the body)');
    expect(redactBodyReason('command refused: EXECUTE: at payload: expected string')).toBe(
      'command refused: EXECUTE: at payload: expected string',
    );
  });
});

describe('the agent refuses and never logs an unparsable amqp_url', () => {
  it('refuses it at configuration time without quoting it', () => {
    let message = '';
    try {
      resolveConfig({ hostname: 'h-1', amqp_url: `amqp://admin:${PASSWORD}@10.0.0.1:5672` });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)}`;
    }
    expect(message).toMatch(/amqp_url: is not a valid URL/);
    expect(message).not.toContain('ss:w');
  });

  it('accepts "@" and ":" (the URL parser takes the last "@"), and masks them in --check-config output', () => {
    const config = resolveConfig({ hostname: 'h-1', amqp_url: 'amqp://admin:se:cr@t@10.0.0.1:5672' });
    expect(maskConfig(config).amqp_url).toBe('amqp://admin:***@10.0.0.1:5672');
  });

  it("masks URL credentials in logged errors (Node's Invalid URL error carries the whole URL as `input`)", () => {
    const out = capture();
    const logger = createRootLogger(resolveConfig({ hostname: 'h-1' }), { stdout: out.stream });
    let error: unknown;
    try {
      new URL(`amqp://admin:${PASSWORD}@10.0.0.1:5672`);
    } catch (caught) {
      error = caught;
    }
    logger.warn({ err: error }, 'cannot connect');
    logger.warn({ err: new Error(`connect to amqp://admin:${PASSWORD}@h failed`) }, 'again');
    expect(out.text()).toContain('cannot connect');
    expect(out.text()).toContain('admin:***@');
    expect(out.text()).not.toContain('ss:w');
    expect(out.text()).not.toContain('rd@x');
  });
});
