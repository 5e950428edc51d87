import { ConfigError, TransportError } from '@vnfkit/protocol';
import type { ProtocolIssue } from '@vnfkit/protocol';

/** Splits `key: message` problem lines into issues (path = the key when the line starts with one). */
function toIssues(problems: readonly string[]): ProtocolIssue[] {
  return problems.map((problem) => {
    const match = /^([a-z_]+): (.*)$/s.exec(problem);
    return match ? { path: match[1] ?? '', message: match[2] ?? problem } : { path: '(config)', message: problem };
  });
}

/** Thrown when the agent's configuration is invalid; `problems` has one line per bad key or line. */
export class EmsConfigError extends ConfigError {
  /** One human-readable line per problem, e.g. `broker_port: expected number`. */
  readonly problems: readonly string[];
  /** The message without the problem list. */
  readonly summary: string;

  constructor(message: string, problems: readonly string[], options?: { cause?: unknown }) {
    const full = problems.length > 0 ? `${message}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : message;
    super(full, { ...options, issues: toIssues(problems) });
    this.problems = Object.freeze([...problems]);
    this.summary = message;
  }
}

/** Builds an {@link EmsConfigError}. */
export function configError(message: string, problems: readonly string[], cause?: unknown): EmsConfigError {
  return new EmsConfigError(message, problems, cause !== undefined ? { cause } : undefined);
}

/** The message of a config error without its problem lines (the plain message for other errors). */
export function configSummary(error: unknown): string {
  if (error instanceof EmsConfigError) return error.summary;
  return error instanceof Error ? error.message : String(error);
}

/** The problem lines of a config error (empty for other errors). */
export function configProblems(error: unknown): string[] {
  return error instanceof EmsConfigError ? [...error.problems] : [];
}

/** Builds a `TransportError` (retryable broker failure). */
export function transportError(message: string, cause?: unknown): TransportError {
  return new TransportError(message, cause !== undefined ? { cause } : undefined);
}
