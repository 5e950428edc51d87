// A VNFM process killed (SIGKILL) mid-INSTANTIATE and restarted on the same operation journal: the NFVO's
// command is answered (ERROR carrying the granted VNFR), exactly once, and the VNFR is never granted twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createAmqpTransport } from '@vnfkit/transport';
import type { Transport } from '@vnfkit/transport';
import { describeBroker, privateVhost, uniqueName, waitFor } from '../helpers/broker.js';
import { NfvoPeer } from '../helpers/nfvo-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const fixture = join(here, '..', 'fixtures', 'crash-vnfm.ts');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});

describeBroker('a VNFM killed mid-operation', () => {
  const vhost = privateVhost('vnfm-crash');
  afterAll(() => vhost.remove());

  function startVnfm(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, ['--conditions=@vnfkit/source', '--import', 'tsx', fixture], {
      cwd: root,
      env: { ...process.env, AMQP_URL: vhost.url, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    });
    return child;
  }
  const marker = (dir: string, prefix: string, pid: number | undefined): string => join(dir, `${prefix}.${pid ?? 0}`);
  const vnfd = (type: string) => ({
    id: 'vnfd-1',
    name: 'crashy',
    type: 'server',
    endpoint: type,
    vendor: 'fokus',
    version: '0.1',
    lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: ['install.sh'] }],
    vdu: [
      {
        id: 'vnfd-vdu-1',
        name: 'vdu',
        vm_image: ['img'],
        scale_in_out: 1,
        vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }],
        vnfc_instance: [],
      },
    ],
  });

  for (const autoDelete of [false, true]) {
    it(`answers the interrupted INSTANTIATE once after the restart, without a second GRANT (endpoint queue ${autoDelete ? 'auto-delete' : 'durable'})`, async () => {
      const type = uniqueName('crash').replace(/-/g, '');
      const work = await mkdtemp(join(tmpdir(), 'vnfkit-crash-'));
      cleanups.push(() => rm(work, { recursive: true, force: true }));
      const env = {
        VNFM_TYPE: type,
        VNFKIT_JOURNAL_FILE: join(work, 'journal.jsonl'),
        MARKER_DIR: work,
        VNFKIT_ENDPOINT_AUTO_DELETE: String(autoDelete),
      };
      const transport: Transport = await createAmqpTransport({ url: vhost.url, connectionName: `${type}-nfvo` });
      cleanups.push(() => transport.close());
      const peer = new NfvoPeer(transport);
      await peer.start();

      const first = startVnfm(env);
      await waitFor(() => existsSync(marker(work, 'ready', first.pid)), { what: 'the first VNFM to register', timeoutMs: 20_000 });
      const replies: (Record<string, unknown> | null)[] = [];
      const answered = peer
        .command(
          type,
          {
            action: 'INSTANTIATE',
            vnfd: vnfd(type),
            vnfdf: { flavour_key: 'm1.small' },
            extension: { 'nsr-id': 'nsr-1' },
            vimInstances: { 'vnfd-vdu-1': [{ name: 'vim-1', type: 'test', id: 'vim-id' }] },
            keys: [],
            vlrs: [{ name: 'private', extId: 'net-1' }],
          },
          60_000,
        )
        .then((r) => replies.push(r));
      await waitFor(() => existsSync(marker(work, 'instantiate', first.pid)), { what: 'the instantiate hook to start', timeoutMs: 20_000 });
      const grantedId = readFileSync(marker(work, 'instantiate', first.pid), 'utf8');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));

      const second = startVnfm(env);
      await answered;
      const reply = replies[0];
      expect(reply?.['action']).toBe('ERROR');
      expect(String((reply?.['exception'] as { detailMessage?: string } | undefined)?.detailMessage)).toMatch(
        new RegExp(`VNFM ${type} was restarted while running INSTANTIATE of VNFR crashy \\(last step: allocated\\)`),
      );
      expect((reply?.['virtualNetworkFunctionRecord'] as { id?: string } | undefined)?.id).toBe(grantedId);
      await waitFor(() => existsSync(marker(work, 'ready', second.pid)), { what: 'the second VNFM to be running', timeoutMs: 20_000 });
      expect(readFileSync(marker(work, 'interrupted', second.pid), 'utf8')).toBe(`INSTANTIATE allocated ${grantedId}`);
      // Give a redelivery (durable queue) time to arrive: it must be acknowledged without running the hook again.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(readdirSync(work).filter((f) => f.startsWith('instantiate.'))).toEqual([`instantiate.${first.pid}`]);
      expect(peer.requests.filter((m) => m.action === 'GRANT_OPERATION')).toHaveLength(1);
      expect(peer.requests.filter((m) => m.action === 'ALLOCATE_RESOURCES')).toHaveLength(1);
      expect(replies).toHaveLength(1);
      const log = readFileSync(join(work, `vnfm.${second.pid}.log`), 'utf8');
      expect(log).not.toMatch(/re-sending the stored answer/);
      // Durable queue: the command survived the crash and was redelivered, then acknowledged unanswered-again.
      // Auto-delete queue: it died with the queue; only the journal knew of it.
      if (autoDelete) expect(log).not.toMatch(/redelivery of a command/);
      else expect(log).toMatch(/redelivery of a command already answered; acknowledged without running it again/);
    });
  }
});
