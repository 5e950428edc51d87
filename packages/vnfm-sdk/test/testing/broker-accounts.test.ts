// RabbitmqctlAccounts against a fake `rabbitmqctl` that records its argv: the exact users and permissions of the
// Open Baton 6.0 NFVO (SystemStartup, ComponentManager.register/unregister). The real broker is exercised by
// examples/generic-vnfm/test/e2e/broker-accounts.e2e.test.ts.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RabbitmqctlAccounts } from '../../src/testing/broker-accounts.js';

let dir = '';
let fake = '';
/** One JSON array of arguments per call. */
const calls = async (): Promise<string[][]> =>
  (await readFile(join(dir, 'calls'), 'utf8').catch(() => ''))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vnfkit-accounts-'));
  fake = join(dir, 'rabbitmqctl');
  // Records argv (no shell expansion can happen: the regexes arrive verbatim); `add_user exists` fails like rabbitmqctl.
  await writeFile(
    fake,
    `#!/usr/bin/env node
const args = process.argv.slice(2);
require('node:fs').appendFileSync(${JSON.stringify(join(dir, 'calls'))}, JSON.stringify(args) + '\\n');
if (args[1] === 'add_user' && args[2] === 'exists') { process.stderr.write('Error:\\nUser "exists" already exists\\n'); process.exit(70); }
if (args[1] === 'delete_user' && args[2] === 'gone') { process.stderr.write('Error:\\nUser "gone" does not exist\\n'); process.exit(67); }
if (args[1] === 'set_user_tags' && args[2] === 'broken') { process.stderr.write('Error: boom\\n'); process.exit(1); }
`,
  );
  await chmod(fake, 0o755);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('RabbitmqctlAccounts', () => {
  it('creates the manager user with SystemStartup permissions on the given vhost', async () => {
    await new RabbitmqctlAccounts({ vhost: 'v1', rabbitmqctl: fake }).ensureManagerUser();
    expect(await calls()).toEqual([
      ['-q', 'add_user', 'openbaton-manager-user', 'openbaton'],
      [
        '-q',
        'set_permissions',
        '-p',
        'v1',
        'openbaton-manager-user',
        '^amq\\.gen.*|amq\\.default$',
        '^amq\\.gen.*|amq\\.default$|nfvo.manager.handling|openbaton-exchange',
        '^amq\\.gen.*|amq\\.default$|nfvo.manager.handling|openbaton-exchange',
      ],
    ]);
  });

  it('registers a VNFM as ComponentManager does: user = type, 16 alphanumeric password, administrator, endpoint-based permissions', async () => {
    const accounts = new RabbitmqctlAccounts({ rabbitmqctl: fake });
    const credentials = await accounts.registerVnfm({ type: 'generic', endpoint: 'generic-ep' });
    expect(credentials.username).toBe('generic');
    expect(credentials.password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await calls()).toEqual([
      ['-q', 'add_user', 'generic', credentials.password],
      ['-q', 'set_user_tags', 'generic', 'administrator'],
      [
        '-q',
        'set_permissions',
        '-p',
        '/',
        'generic',
        '^amq\\.gen.*|amq\\.default$|(generic-ep)|(nfvo.generic-ep.actions)',
        '^amq\\.gen.*|amq\\.default$|(generic-ep)|(vnfm.nfvo.actions)|(vnfm.nfvo.actions.reply)|(nfvo.generic-ep.actions)|(openbaton-exchange)',
        '^amq\\.gen.*|amq\\.default$|(nfvo.generic-ep.actions)|(generic-ep)|(openbaton-exchange)',
      ],
    ]);
    // Re-registration: the stored credentials, nothing run.
    expect(await accounts.registerVnfm({ type: 'generic', endpoint: 'generic-ep' })).toEqual(credentials);
    expect(await calls()).toHaveLength(3);
    expect(accounts.users).toEqual(['generic']);

    await accounts.unregisterVnfm('generic');
    expect((await calls()).at(-1)).toEqual(['-q', 'delete_user', 'generic']);
    expect(accounts.users).toEqual([]);
    await accounts.unregisterVnfm('generic'); // unknown now: nothing run
    expect(await calls()).toHaveLength(4);
  });

  it("resets an existing user's password, ignores deleting a missing one, and never puts a password in an error", async () => {
    const accounts = new RabbitmqctlAccounts({ rabbitmqctl: fake });
    const { password } = await accounts.registerVnfm({ type: 'exists', endpoint: 'exists' });
    expect((await calls()).slice(0, 2)).toEqual([
      ['-q', 'add_user', 'exists', password],
      ['-q', 'change_password', 'exists', password],
    ]);
    await accounts.registerVnfm({ type: 'gone', endpoint: 'gone' });
    await expect(accounts.unregisterVnfm('gone')).resolves.toBeUndefined(); // delete_user exits 67: already gone
    const error = await accounts.registerVnfm({ type: 'broken', endpoint: 'broken' }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('rabbitmqctl set_user_tags failed: Error: boom');
    const brokenPassword = (await calls()).find((c) => c[1] === 'add_user' && c[2] === 'broken')?.[3] ?? '';
    expect(brokenPassword).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(brokenPassword);
    expect(accounts.users).toEqual(['exists']);
  });
});
