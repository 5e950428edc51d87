// The rows every benchmark appends to; printed as one table and written as JSON by run.ts.
export interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  floor?: number;
  ratio?: number;
  target?: string;
}

export const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

export const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
