import { pino, type Logger } from 'pino';

/** One parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** pino level numbers, for assertions. */
export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A pino logger at `level` whose lines are parsed into `lines` (assert on objects, never on strings). */
export function captureLogger(level: keyof typeof LEVEL = 'trace'): { logger: Logger; lines: LogLine[]; raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level },
    {
      write(chunk: string): void {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as LogLine);
      },
    },
  );
  return { logger, lines, raw };
}
