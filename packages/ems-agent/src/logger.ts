import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { ResolvedEmsConfig } from './config.js';
import { redactValue } from './internal/redact.js';

/** Paths pino replaces with `[redacted]`: broker and signing secrets, script environments. */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  'password',
  'signing_key',
  'config.password',
  'config.signing_key',
  'env',
  '*.env',
  'command.env',
]);

/** pino's error serializer, then URL credentials in any of its strings (message, stack, `input`, …) masked. */
export function serializeError(error: unknown): unknown {
  const serialized = error instanceof Error ? pino.stdSerializers.err(error) : error;
  return redactValue(serialized);
}

/** Options of {@link createRootLogger}. */
export interface RootLoggerOptions {
  /** Where the JSON lines go besides `log_file`. @default process.stdout */
  stdout?: DestinationStream;
}

/**
 * The daemon's root logger: pino JSON lines on stdout and, when `log_file` is set, also appended
 * to that file; secrets and script environments are redacted, and so are URL credentials in errors
 * (see `internal/redact.ts`).
 */
export function createRootLogger(config: ResolvedEmsConfig, options: RootLoggerOptions = {}): Logger {
  const streams: pino.StreamEntry[] = [
    { stream: options.stdout ?? process.stdout, level: config.log_level === 'silent' ? 'fatal' : config.log_level },
  ];
  if (config.log_file !== undefined) {
    streams.push({
      stream: pino.destination({ dest: config.log_file, mkdir: true, append: true, sync: true }),
      level: config.log_level === 'silent' ? 'fatal' : config.log_level,
    });
  }
  return pino(
    {
      name: 'vnfkit-ems',
      level: config.log_level,
      // No OS hostname in the base: the VNFC hostname binding of the agent is the one that matters.
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    pino.multistream(streams),
  );
}
