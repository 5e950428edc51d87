/** Peak and time-weighted mean of executions in flight over [from, to]. */
export function inFlight(runs: [number, number][], window: { from: number; to: number }): { peak: number; mean: number } {
  const edges = runs
    .flatMap(([s, e]): [number, number][] => [
      [s, 1],
      [e, -1],
    ])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  let area = 0;
  let last = window.from;
  for (const [t, delta] of edges) {
    area += current * (Math.min(t, window.to) - Math.max(last, window.from));
    last = t;
    current += delta;
    peak = Math.max(peak, current);
  }
  return { peak, mean: area / Math.max(1, window.to - window.from) };
}
