/** Error codes of vnfkit, one table so they form a literal union. */
export const ErrorCode = {
  PROTOCOL: 'PROTOCOL',
  TIMEOUT: 'TIMEOUT',
  TRANSPORT: 'TRANSPORT',
  CONFIG: 'CONFIG',
  NFVO_REFUSED: 'NFVO_REFUSED',
  EMS_COMMAND: 'EMS_COMMAND',
  EMS_TIMEOUT: 'EMS_TIMEOUT',
  EMS_UNTRUSTED: 'EMS_UNTRUSTED',
  EMS_AGENT_GONE: 'EMS_AGENT_GONE',
  SCRIPT: 'SCRIPT',
  SCRIPT_FAILED: 'SCRIPT_FAILED',
  AGENT_COMMAND_FAILED: 'AGENT_COMMAND_FAILED',
  AGENT_NOT_READY: 'AGENT_NOT_READY',
  RESUME_STORE: 'RESUME_STORE',
  NOTHING_TO_RESUME: 'NOTHING_TO_RESUME',
  INTERNAL: 'INTERNAL',
} as const;
/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const MARKER = Symbol.for('@vnfkit/error');

/** Base class of every error vnfkit throws; `is()` works across duplicate package copies. */
export class VnfkitError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for any vnfkit error, even one created by another copy of this package. */
  static is(value: unknown): value is VnfkitError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}
Object.defineProperty(VnfkitError.prototype, 'name', { value: 'VnfkitError' });

/** One schema violation: where (JSON path) and what was expected. */
export interface ProtocolIssue {
  path: string;
  message: string;
}

/** Thrown when a message or record does not match the Open Baton wire format. */
export class ProtocolError extends VnfkitError {
  readonly issues: readonly ProtocolIssue[];
  readonly action: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: { issues?: ProtocolIssue[]; action?: string; cause?: unknown } = {}) {
    super(ErrorCode.PROTOCOL, message, { cause: details.cause });
    this.issues = details.issues ?? [];
    this.action = details.action;
    this.path = this.issues[0]?.path;
  }
}
Object.defineProperty(ProtocolError.prototype, 'name', { value: 'ProtocolError' });

/** Thrown when a wait (reply, agent hello, script) passed its deadline. */
export class TimeoutError extends VnfkitError {
  constructor(
    readonly waitedFor: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(ErrorCode.TIMEOUT, `timed out after ${timeoutMs} ms waiting for ${waitedFor}`, options);
  }
}
Object.defineProperty(TimeoutError.prototype, 'name', { value: 'TimeoutError' });

/** Thrown when the broker link failed; usually retryable. */
export class TransportError extends VnfkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.TRANSPORT, message, options);
  }
}
Object.defineProperty(TransportError.prototype, 'name', { value: 'TransportError' });

/** Thrown when configuration (file, environment, options) is invalid. */
export class ConfigError extends VnfkitError {
  readonly issues: readonly ProtocolIssue[];

  constructor(message: string, options: ErrorOptions & { issues?: ProtocolIssue[] } = {}) {
    super(ErrorCode.CONFIG, message, options);
    this.issues = options.issues ?? [];
  }
}
Object.defineProperty(ConfigError.prototype, 'name', { value: 'ConfigError' });

/** Turns anything thrown into an `Error` (non-errors become the message of a new one). */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
