import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '@vnfkit/protocol';
import { firstUrl } from '@vnfkit/transport';

/**
 * The cloud-init user-data that installs and configures the EMS agent in each VM (§9).
 *
 * Two template styles are filled:
 * - the agent's own templates (`@vnfkit/ems-agent`: `systemd/user-data.sh.tmpl`, which installs the
 *   agent at first boot, and `systemd/user-data-preinstalled.sh.tmpl`, for images that have it):
 *   `{{NAME}}` placeholders, each replaced by a single-quoted shell word;
 * - Open Baton style templates (`/etc/openbaton/openbaton-vnfm-generic-user-data.sh`): lines
 *   `export NAME=` with an empty value, each completed with the (shell-quoted when needed) value.
 * The line `export #Hostname=` is left untouched in both: the NFVO turns it into
 * `export Hostname=<vnfc hostname>` per VM.
 */

/** The values the VNFM puts into the user-data. */
export interface UserDataValues {
  /** Broker host as reachable from the VMs (the NFVO's `extension.brokerIp`). */
  brokerIp: string;
  /** Broker port (the NFVO's `extension.brokerPort`). @default 5672 */
  brokerPort?: number | string;
  /** More RabbitMQ cluster nodes the agents may fail over to, comma-separated `host:port`. @default '' */
  brokerIps?: string;
  /** Broker user of the agents (the VNFM's EMS config). */
  username: string;
  /** Broker password of the agents (the VNFM's EMS config). Never logged. */
  password: string;
  /** The VNFM endpoint: the agent registers on `ems.<type>.register`. */
  type: string;
  /** @default 'openbaton-exchange' */
  exchange?: string;
  /** AMQP heartbeat of the agent, in seconds. @default 120 */
  heartbeatS?: number;
  /** Whether the agent's actions queue is auto-delete. @default true */
  autodelete?: boolean;
  /** Passed through from the NFVO's extension when present (Open Baton templates). */
  monitoringIp?: string;
  /** Passed through from the NFVO's extension when present (Open Baton templates). */
  timezone?: string;
  /** EMS version pin (Open Baton templates). */
  emsVersion?: string;
  /** npm spec of the agent to install (agent template). @default '@vnfkit/ems-agent' */
  emsPackage?: string;
  /** Broker virtual host of the agents (agent templates). @default '' (the agent's default, `/`) */
  virtualHost?: string;
  /** Full `amqp://`/`amqps://` URL of the agents, overriding the broker values (agent templates). @default '' */
  amqpUrl?: string;
  /** PEM CA bundle for `amqps://`, inline; the user-data writes it and sets `tls_ca_file` (agent templates). @default '' */
  tlsCaPem?: string;
  /**
   * The key of this VNFR's VMs (`deriveVnfrKey(master, vnfr id)`), written as the agent's `signing_key` by install.sh.
   * Never logged. @default '' (no signing)
   */
  signingKey?: string;
  /** The VNFM's X25519 public key (`vnfmIdentity(master).publicKey`), the agent's `vnfm_public_key`. @default '' */
  vnfmPublicKey?: string;
}

type Pick = (v: UserDataValues) => string | undefined;

/** Placeholder name → value; agent names and Open Baton names side by side. */
const PLACEHOLDERS: ReadonlyMap<string, Pick> = new Map<string, Pick>([
  ['BROKER_IP', (v) => v.brokerIp],
  ['BROKER_PORT', (v) => String(v.brokerPort ?? 5672)],
  ['BROKER_IPS', (v) => v.brokerIps ?? ''],
  ['USERNAME', (v) => v.username],
  ['PASSWORD', (v) => v.password],
  ['TYPE', (v) => v.type],
  ['ENDPOINT', (v) => v.type],
  ['EXCHANGE', (v) => v.exchange ?? 'openbaton-exchange'],
  ['EXCHANGE_NAME', (v) => v.exchange ?? 'openbaton-exchange'],
  ['HEARTBEAT', (v) => String(v.heartbeatS ?? 120)],
  ['EMS_HEARTBEAT', (v) => String(v.heartbeatS ?? 120)],
  ['AUTODELETE', (v) => String(v.autodelete ?? true)],
  ['EMS_AUTODELETE', (v) => String(v.autodelete ?? true)],
  ['EMS_PACKAGE', (v) => v.emsPackage ?? '@vnfkit/ems-agent'],
  ['MONITORING_IP', (v) => v.monitoringIp],
  ['TIMEZONE', (v) => v.timezone],
  ['EMS_VERSION', (v) => v.emsVersion],
  ['SIGNING_KEY', (v) => v.signingKey ?? ''],
  ['VNFM_PUBLIC_KEY', (v) => v.vnfmPublicKey ?? ''],
  ['VIRTUAL_HOST', (v) => v.virtualHost ?? ''],
  ['AMQP_URL', (v) => v.amqpUrl ?? ''],
  ['TLS_CA_PEM', (v) => v.tlsCaPem ?? ''],
]);

/** Single-quotes a value for a POSIX shell (an embedded `'` becomes `'\''`). */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes a value for a POSIX shell only when it is not made of harmless characters. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+,-]*$/.test(value) ? value : quote(value);
}

/**
 * Fills a user-data template (either style, see the module comment). Unknown `{{NAME}}`
 * placeholders, placeholders without a value, and NUL bytes in values are refused with a
 * `ConfigError`; unknown or already-set `export NAME=` lines are left as they are.
 */
export function fillUserData(template: string, values: UserDataValues): string {
  const valueOf = (name: string): string | undefined => {
    const value = PLACEHOLDERS.get(name)?.(values);
    if (value?.includes('\0')) throw new ConfigError(`user-data value ${name} contains a NUL byte`);
    return value;
  };
  // A function replacement everywhere, so `$&` or `$1` inside a password stay literal.
  // Comment lines are left alone: they may talk about `{{NAME}}` placeholders.
  let result = template
    .split('\n')
    .map((line) =>
      /^\s*#/.test(line)
        ? line
        : line.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
            if (!PLACEHOLDERS.has(name)) throw new ConfigError(`user-data template: unknown placeholder {{${name}}}`);
            const value = valueOf(name);
            if (value === undefined) throw new ConfigError(`user-data template: no value for {{${name}}}`);
            return quote(value);
          }),
    )
    .join('\n');
  result = result.replace(/^([ \t]*export[ \t]+([A-Za-z_][A-Za-z0-9_]*)=)[ \t]*$/gm, (line, head: string, name: string) => {
    const value = valueOf(name);
    return value === undefined ? line : `${head}${shellQuote(value)}`;
  });
  return result;
}

/** The virtual host of an AMQP URL (its path, decoded); '' for none or `/` (the agent's default) and for a bad URL. */
export function virtualHostOf(amqpUrl: string): string {
  let path: string;
  try {
    path = new URL(firstUrl(amqpUrl)).pathname;
  } catch {
    return '';
  }
  if (path === '' || path === '/') return '';
  try {
    return decodeURIComponent(path.slice(1));
  } catch {
    return '';
  }
}

/** The placeholder the NFVO fills with each VM's hostname; a template without it is unusable. */
export const HOSTNAME_PLACEHOLDER = 'export #Hostname=';

/** Which of the agent's templates: `install` (the agent is installed at first boot) or `preinstalled` (the image has it). */
export type UserDataKind = 'install' | 'preinstalled';

const AGENT_TEMPLATES: Readonly<Record<UserDataKind, string>> = {
  install: 'user-data.sh.tmpl',
  preinstalled: 'user-data-preinstalled.sh.tmpl',
};

/**
 * Where `@vnfkit/ems-agent` keeps its templates (`<package>/systemd/user-data.sh.tmpl`, `install`, and
 * `<package>/systemd/user-data-preinstalled.sh.tmpl`). Found by resolving the package entry (one level
 * below the package root in both `src/` and `dist/`) instead of importing it, so none of the agent's
 * code is loaded into the VNFM.
 */
export function agentTemplatePath(kind: UserDataKind = 'install'): string {
  const name = AGENT_TEMPLATES[kind];
  if (name === undefined) throw new ConfigError(`unknown user-data template ${String(kind)} (install or preinstalled)`);
  const entry = createRequire(import.meta.url).resolve('@vnfkit/ems-agent');
  return join(dirname(entry), '..', 'systemd', name);
}

/**
 * Loads the user-data template once, at start-up: `file` when given, else the agent template `kind`
 * shipped by `@vnfkit/ems-agent` (read from its package directory; the agent stays an optional install).
 * Refuses a template without the `export #Hostname=` line.
 */
export async function loadUserDataTemplate(file?: string, kind: UserDataKind = 'install'): Promise<string> {
  let template: string;
  if (file !== undefined) {
    try {
      template = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the user-data template ${file}`, { cause: error });
    }
  } else {
    try {
      template = await readFile(agentTemplatePath(kind), 'utf8');
    } catch (error) {
      throw new ConfigError('no user-data template: install @vnfkit/ems-agent next to the Generic VNFM or set VNFKIT_USER_DATA_FILE', {
        cause: error,
      });
    }
  }
  if (!template.includes(HOSTNAME_PLACEHOLDER)) {
    throw new ConfigError(`the user-data template ${file ?? `(agent, ${kind})`} lacks the line "${HOSTNAME_PLACEHOLDER}" the NFVO fills`);
  }
  return template;
}
