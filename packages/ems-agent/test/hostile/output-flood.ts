// An output flood on a real agent process over the real broker: the script writes `bytes` to stdout
// (and a smaller flood to stderr); the agent must keep its memory bounded (capped capture, pipes
// drained), reply with the capped output and the truncation marker, and keep serving. Shared by the
// normal suite (a small flood) and the soak suite (1 GiB).
import { expect } from 'vitest';
import { peakRssMiB, rssMiB, saveScript, startAgentPair } from '../helpers/agent-pair.js';

/** Figures of one flood run. */
export interface FloodFigures {
  bytes: number;
  durationMs: number;
  rssBeforeMiB: number;
  maxRssMiB: number;
  peakBeforeMiB: number;
  peakAfterMiB: number;
}

/** How much the agent's RSS may grow during a flood: the two capped streams, the reply, and slack for the GC. */
export function allowedGrowthMiB(maxOutputBytes: number): number {
  return 96 + (6 * maxOutputBytes) / 1024 / 1024;
}

export async function floodRealAgent(bytes: number, options: { maxOutputBytes?: number; timeoutS?: number } = {}): Promise<FloodFigures> {
  const maxOutputBytes = options.maxOutputBytes ?? 1_048_576;
  const timeoutS = options.timeoutS ?? 600;
  const pair = await startAgentPair('flood', { max_output_bytes: maxOutputBytes, command_timeout: timeoutS });
  const pid = pair.agent.child.pid ?? 0;
  const stderrBytes = Math.min(bytes, 64 * 1024 * 1024);
  await saveScript(
    pair,
    'flood.sh',
    `head -c ${bytes} /dev/zero | tr '\\0' x\nhead -c ${stderrBytes} /dev/zero | tr '\\0' e >&2\necho flood-done >&2\n`,
  );
  await saveScript(pair, 'ok.sh', 'echo still-serving\n');
  // Warm the EXECUTE path first so the baseline includes its code and buffers.
  expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json.status).toBe(0);
  const rssBeforeMiB = await rssMiB(pid);
  const peakBeforeMiB = await peakRssMiB(pid);
  let maxRssMiB = rssBeforeMiB;
  const sampler = setInterval(() => {
    rssMiB(pid).then(
      (rss) => {
        maxRssMiB = Math.max(maxRssMiB, rss);
      },
      () => undefined,
    );
  }, 50);
  const started = Date.now();
  let reply;
  try {
    reply = await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'flood.sh' }, { timeoutMs: (timeoutS + 30) * 1000 });
  } finally {
    clearInterval(sampler);
  }
  const durationMs = Date.now() - started;
  const peakAfterMiB = await peakRssMiB(pid);
  const marker = `[vnfkit-ems: output truncated after ${maxOutputBytes} bytes]\n`;
  expect(reply.json.status).toBe(0);
  expect(reply.json.output.length).toBe(maxOutputBytes + 1 + marker.length);
  expect(reply.json.output).toBe(`${'x'.repeat(maxOutputBytes)}\n${marker}`);
  expect(reply.json.err.endsWith(marker)).toBe(true);
  // Bounded: neither the sampled RSS nor the kernel's high-water mark grew by more than the caps allow
  // (an uncapped capture of the flood would add `bytes`).
  const allowed = allowedGrowthMiB(maxOutputBytes);
  expect(maxRssMiB - rssBeforeMiB, `RSS ${rssBeforeMiB.toFixed(0)} → ${maxRssMiB.toFixed(0)} MiB during the flood`).toBeLessThan(allowed);
  expect(
    peakAfterMiB - Math.max(peakBeforeMiB, rssBeforeMiB),
    `VmHWM ${peakBeforeMiB.toFixed(0)} → ${peakAfterMiB.toFixed(0)} MiB`,
  ).toBeLessThan(allowed);
  // The agent keeps serving.
  expect((await pair.vnfm.send(pair.hostname, { action: 'EXECUTE', payload: 'ok.sh' })).json).toEqual({
    output: 'still-serving\n',
    err: '',
    status: 0,
  });
  expect(pair.agent.child.exitCode).toBeNull();
  return { bytes, durationMs, rssBeforeMiB, maxRssMiB, peakBeforeMiB, peakAfterMiB };
}

/** One line for the test log. */
export function describeFlood(figures: FloodFigures): string {
  const mib = (figures.bytes / 1024 / 1024).toFixed(0);
  return `output flood: ${mib} MiB in ${figures.durationMs} ms; agent RSS ${figures.rssBeforeMiB.toFixed(0)} MiB before, max ${figures.maxRssMiB.toFixed(0)} MiB during; VmHWM ${figures.peakBeforeMiB.toFixed(0)} → ${figures.peakAfterMiB.toFixed(0)} MiB`;
}
