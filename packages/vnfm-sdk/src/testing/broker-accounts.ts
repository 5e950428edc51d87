import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { BOOTSTRAP_PASSWORD, BOOTSTRAP_USERNAME } from '@vnfkit/protocol';

const execFileAsync = promisify(execFile);

/**
 * The broker users an Open Baton 6.0 NFVO creates: the bootstrap manager user at startup and one user per
 * registered VNFM type. Give one to the NFVO simulator (`NfvoSimulatorOptions.accounts`) to test a VNFM under the NFVO's
 * real permissions instead of an all-powerful broker user.
 */
export interface BrokerAccounts {
  /** Creates (or resets) `openbaton-manager-user` / `openbaton` with the NFVO's manager permissions. */
  ensureManagerUser(): Promise<void>;
  /**
   * Creates the broker user of a VNFM type (username = `type`, random password) with permissions derived from its
   * `endpoint`, and returns its credentials; a type registered before gets its stored credentials unchanged.
   */
  registerVnfm(input: { type: string; endpoint: string }): Promise<{ username: string; password: string }>;
  /** Deletes the broker user of a VNFM type (a type never registered is ignored). */
  unregisterVnfm(type: string): Promise<void>;
}

/** Options of {@link RabbitmqctlAccounts}. */
export interface RabbitmqctlAccountsOptions {
  /** The vhost the permissions are set on (the NFVO uses its configured one, normally `/`). @default '/' */
  vhost?: string;
  /** The `rabbitmqctl` executable. @default 'rabbitmqctl' */
  rabbitmqctl?: string;
  /** Timeout of one `rabbitmqctl` call, ms. @default 30_000 */
  timeoutMs?: number;
  logger?: Logger;
}

/** Open Baton's bootstrap user (NFVO `SystemStartup`, see {@link managerPermissions}). */
export const MANAGER_USER = { username: BOOTSTRAP_USERNAME, password: BOOTSTRAP_PASSWORD } as const;

/** configure / write / read regular expressions of one broker user on one vhost. */
export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

/**
 * The bootstrap user's permissions, as NFVO 6.0 `SystemStartup` sets them
 * (NFVO/main/src/main/java/org/openbaton/nfvo/system/SystemStartup.java L75-105): it may only declare
 * server-named queues, and publish to / read from `nfvo.manager.handling` and `openbaton-exchange`.
 */
export function managerPermissions(): Permissions {
  const write = '^amq\\.gen.*|amq\\.default$|nfvo.manager.handling|openbaton-exchange';
  return { configure: '^amq\\.gen.*|amq\\.default$', write, read: write };
}

/**
 * The permissions of a registered VNFM's user, as NFVO 6.0 `ComponentManager.register` sets them
 * (NFVO/core/core-impl/src/main/java/org/openbaton/nfvo/core/api/ComponentManager.java L331-344), where
 * `<type>` is the registered `vnfmManagerEndpoint.endpoint` (L327-330). The endpoint is pasted into the
 * regexes unescaped and unanchored, as upstream does: `(<type>)` allows every resource whose name *contains*
 * the endpoint (so `ems.<endpoint>.register` and `vnfkit.reply.vnfm-<endpoint>.…` too), but not
 * `openbaton-exchange` for configure (no exchange declare) nor any other name.
 */
export function vnfmPermissions(endpoint: string): Permissions {
  const t = endpoint;
  return {
    configure: `^amq\\.gen.*|amq\\.default$|(${t})|(nfvo.${t}.actions)`,
    write: `^amq\\.gen.*|amq\\.default$|(${t})|(vnfm.nfvo.actions)|(vnfm.nfvo.actions.reply)|(nfvo.${t}.actions)|(openbaton-exchange)`,
    read: `^amq\\.gen.*|amq\\.default$|(nfvo.${t}.actions)|(${t})|(openbaton-exchange)`,
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 16 random alphanumeric characters, like `RandomStringUtils.randomAlphanumeric(16)` in ComponentManager.register. */
function randomPassword(): string {
  let password = '';
  for (let i = 0; i < 16; i++) password += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return password;
}

/**
 * {@link BrokerAccounts} through `rabbitmqctl` on the broker's host (run without a shell; needs the Erlang cookie,
 * i.e. root or the rabbitmq user). Users are broker-wide, permissions are set on `vhost` only. Passwords travel
 * as `rabbitmqctl` arguments (visible in the process list while it runs): a testing tool, not for production.
 */
export class RabbitmqctlAccounts implements BrokerAccounts {
  private readonly vhost: string;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;
  /** The NFVO's `ManagerCredentials` repository: VNFM username → password. */
  private readonly registered = new Map<string, string>();

  constructor(options: RabbitmqctlAccountsOptions = {}) {
    this.vhost = options.vhost ?? '/';
    this.command = options.rabbitmqctl ?? 'rabbitmqctl';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.log = options.logger?.child({ component: 'broker-accounts' });
  }

  /** Users created through this instance and not deleted yet (the manager user is not tracked). */
  get users(): string[] {
    return [...this.registered.keys()];
  }

  async ensureManagerUser(): Promise<void> {
    // SystemStartup L75-105: user openbaton-manager-user / openbaton on the NFVO's vhost.
    await this.upsertUser(MANAGER_USER.username, MANAGER_USER.password);
    await this.setPermissions(MANAGER_USER.username, managerPermissions());
    this.log?.info({ username: MANAGER_USER.username, vhost: this.vhost }, 'manager user ready');
  }

  async registerVnfm(input: { type: string; endpoint: string }): Promise<{ username: string; password: string }> {
    const username = input.type;
    // ComponentManager L312-314: a username already registered gets its stored credentials back unchanged.
    const known = this.registered.get(username);
    if (known !== undefined) return { username, password: known };
    // L315-326: password = 16 random alphanumeric characters, tag administrator.
    const password = randomPassword();
    await this.upsertUser(username, password);
    await this.run(['set_user_tags', username, 'administrator']);
    // L327-344: permissions derived from vnfmManagerEndpoint.endpoint.
    await this.setPermissions(username, vnfmPermissions(input.endpoint));
    this.registered.set(username, password);
    this.log?.info({ username, endpoint: input.endpoint, vhost: this.vhost }, 'VNFM broker user created');
    return { username, password };
  }

  async unregisterVnfm(type: string): Promise<void> {
    // ComponentManager.unregister L384-416: the VNFM's broker user is removed.
    if (!this.registered.delete(type)) return;
    await this.deleteUser(type);
    this.log?.info({ username: type }, 'VNFM broker user deleted');
  }

  /** Deletes the manager user (broker-wide): for a test's cleanup, when it created that user. */
  async deleteManagerUser(): Promise<void> {
    await this.deleteUser(MANAGER_USER.username);
  }

  /** Deletes every VNFM user this instance created and still holds (test cleanup). */
  async deleteVnfmUsers(): Promise<void> {
    for (const username of this.users) await this.unregisterVnfm(username);
  }

  private async upsertUser(username: string, password: string): Promise<void> {
    // The NFVO PUTs the user through the management API, which creates or updates it.
    try {
      await this.run(['add_user', username, password]);
    } catch (error) {
      if (!/already exists/i.test(String((error as { stderr?: unknown }).stderr ?? ''))) throw error;
      await this.run(['change_password', username, password]);
    }
  }

  private async deleteUser(username: string): Promise<void> {
    try {
      await this.run(['delete_user', username]);
    } catch (error) {
      if (!/does not exist/i.test(String((error as { stderr?: unknown }).stderr ?? ''))) throw error;
    }
  }

  private async setPermissions(username: string, p: Permissions): Promise<void> {
    await this.run(['set_permissions', '-p', this.vhost, username, p.configure, p.write, p.read]);
  }

  /** Runs one `rabbitmqctl` command; the error names the command without its arguments (they may hold a password). */
  private async run(args: string[]): Promise<void> {
    try {
      await execFileAsync(this.command, ['-q', ...args], { encoding: 'utf8', timeout: this.timeoutMs });
    } catch (error) {
      // Not error.message: it repeats the command line, password included.
      const { stderr, code, signal } = error as { stderr?: unknown; code?: unknown; signal?: unknown };
      const text = typeof stderr === 'string' ? stderr.trim() : '';
      throw Object.assign(new Error(`rabbitmqctl ${args[0] ?? ''} failed: ${text || `exit ${String(code ?? signal)}`}`), { stderr: text });
    }
  }
}
