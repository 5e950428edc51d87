// `pnpm demo` is the README's first command: run the demo program itself and require a clean finish.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { privateVhost } from './harness.js';

const vhost = privateVhost();
afterAll(() => vhost.remove());
const quickstart = join(import.meta.dirname, '..', '..', '..', 'quickstart');

const runDemo = (amqpUrl: string): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@vnfkit/source', '--import', 'tsx', 'src/main.ts'],
      { cwd: quickstart, env: { ...process.env, AMQP_URL: amqpUrl }, timeout: 90_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
      },
    );
  });

it('the demo deploys, scales, breaks, resumes and terminates the iperf NS on RabbitMQ', async () => {
  const { code, out } = await runDemo(vhost.url);
  expect(out).toContain('vnfkit demo on RabbitMQ');
  expect(out).toMatch(/server_hostname=iperf-server-1 +server_private=127\./);
  expect(out).toContain('now knows 2 servers');
  expect(out).toContain("the plug-in checked the servers' service after each START: 2 checks answered");
  expect(out).toContain('the plug-in chose the least loaded, iperf-server-2');
  expect(out).toContain('start.sh failed on iperf-client-1 with exit status 3: cannot reach any server');
  expect(out).toContain('resumed from the failed script');
  // The agent of iperf-client-1 killed: START fails "agent gone" within seconds (2 s bound), RESUME after its restart.
  expect(out).toMatch(/EXECUTE of start\.sh on iperf-client-1 failed: agent gone/);
  const goneAfter = Number(/reported the failure ([\d.]+) s after the agent died/.exec(out)?.[1] ?? NaN);
  expect(goneAfter).toBeLessThan(10);
  expect(out).toContain('resumed after the agent came back');
  expect(out).toContain('NS TERMINATED');
  expect(code).toBe(0);
}, 100_000);

it('says so loudly and still completes on the in-process transport when no broker answers', async () => {
  const { code, out } = await runDemo('amqp://guest:guest@127.0.0.1:1');
  expect(out).toContain('running on the IN-PROCESS transport');
  expect(out).toContain('demo finished');
  expect(code).toBe(0);
}, 100_000);
