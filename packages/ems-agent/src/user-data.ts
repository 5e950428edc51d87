import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { shellQuote } from './internal/shell.js';

/**
 * The two cloud-init user-data templates shipped in the package, with the same placeholders:
 * - `install` (`systemd/user-data.sh.tmpl`): installs Node.js when missing and the agent from npm at first
 *   boot (`npm install -g`, then `bash systemd/install.sh --force-config`), then starts it;
 * - `preinstalled` (`systemd/user-data-preinstalled.sh.tmpl`, also in the `.deb` and the tarball): for an
 *   image that already has the agent; writes `/etc/vnfkit/ems.conf` and restarts it, downloading nothing.
 */
export const USER_DATA_TEMPLATES: Readonly<Record<UserDataKind, string>> = Object.freeze({
  install: fileURLToPath(new URL('../systemd/user-data.sh.tmpl', import.meta.url)),
  preinstalled: fileURLToPath(new URL('../systemd/user-data-preinstalled.sh.tmpl', import.meta.url)),
});

/** Which user-data template: `install` (the agent is installed at first boot) or `preinstalled` (the image has it). */
export type UserDataKind = 'install' | 'preinstalled';

/** Absolute path of the `install` user-data template (`systemd/user-data.sh.tmpl`). */
export const USER_DATA_TEMPLATE_PATH: string = USER_DATA_TEMPLATES.install;

/** Values for the user-data placeholders; names are the `{{NAME}}` placeholders of the template. */
export interface UserDataValues {
  /** Broker address reachable from the VM (the NFVO's `brokerIp`). Required unless `AMQP_URL` is given. */
  BROKER_IP?: string;
  /** @default 5672 */
  BROKER_PORT?: number | string;
  /** More RabbitMQ cluster nodes, comma-separated `host` or `host:port` (`broker_ips`). @default "" (none) */
  BROKER_IPS?: string;
  /** Required unless `AMQP_URL` is given. */
  USERNAME?: string;
  /** Required unless `AMQP_URL` is given. */
  PASSWORD?: string;
  /** VNFM endpoint type, e.g. `generic` (hellos go to `ems.<TYPE>.register`). */
  TYPE: string;
  /** @default "openbaton-exchange" */
  EXCHANGE?: string;
  /** AMQP heartbeat in seconds. @default 60 */
  HEARTBEAT?: number | string;
  /** Auto-delete the actions queue. @default true */
  AUTODELETE?: boolean | string;
  /** Broker virtual host (`virtual_host`). @default "" (the agent's default, `/`) */
  VIRTUAL_HOST?: string;
  /** Full `amqp://` or `amqps://` URL (`amqp_url`; overrides the broker keys). @default "" (none) */
  AMQP_URL?: string;
  /**
   * PEM CA bundle trusted for `amqps://`, inline: the user-data writes it to `/etc/vnfkit/broker-ca.pem`
   * and sets `tls_ca_file` to that file. @default "" (none)
   */
  TLS_CA_PEM?: string;
  /** npm spec installed with `npm install -g` (`install` template only). @default "@vnfkit/ems-agent" */
  EMS_PACKAGE?: string;
  /**
   * The agent's `signing_key` (the Generic VNFM: `deriveVnfrKey(master, vnfr id)`); install.sh also sets
   * `require_signing`. @default "" (no signing)
   */
  SIGNING_KEY?: string;
  /**
   * The VNFM's X25519 public key (`vnfm_public_key`; the Generic VNFM: `vnfmIdentity(master).publicKey`): with
   * `SIGNING_KEY`, the VM makes its own key pair and signs with a key no sibling VM can derive. @default "" (none)
   */
  VNFM_PUBLIC_KEY?: string;
}

type Defaulted =
  | 'BROKER_PORT'
  | 'BROKER_IPS'
  | 'EXCHANGE'
  | 'HEARTBEAT'
  | 'AUTODELETE'
  | 'EMS_PACKAGE'
  | 'SIGNING_KEY'
  | 'VNFM_PUBLIC_KEY'
  | 'VIRTUAL_HOST'
  | 'AMQP_URL'
  | 'TLS_CA_PEM';
const DEFAULTS: Required<Pick<UserDataValues, Defaulted>> = {
  BROKER_PORT: 5672,
  BROKER_IPS: '',
  EXCHANGE: 'openbaton-exchange',
  HEARTBEAT: 60,
  AUTODELETE: true,
  EMS_PACKAGE: '@vnfkit/ems-agent',
  SIGNING_KEY: '',
  VNFM_PUBLIC_KEY: '',
  VIRTUAL_HOST: '',
  AMQP_URL: '',
  TLS_CA_PEM: '',
};
/** Required always; the broker ones may be left out (empty) when `AMQP_URL` is given. */
const REQUIRED = ['TYPE'] as const;
const BROKER = ['BROKER_IP', 'USERNAME', 'PASSWORD'] as const;

/**
 * Fills a user-data template: each `{{NAME}}` becomes the single-quoted value (safe for any
 * characters except NUL). Throws a `TypeError` for a missing required value, an unknown name,
 * a NUL byte, or a placeholder left without a value. The `export #Hostname=` line is kept for the NFVO.
 */
export function fillUserDataTemplate(template: string, values: UserDataValues): string {
  const merged: Record<string, unknown> = { ...DEFAULTS, ...values };
  const byUrl = typeof merged['AMQP_URL'] === 'string' && merged['AMQP_URL'] !== '';
  for (const name of [...REQUIRED, ...BROKER]) {
    const value = merged[name];
    if (byUrl && (BROKER as readonly string[]).includes(name) && (value === undefined || value === '')) {
      merged[name] = '';
      continue;
    }
    if (typeof value !== 'string' || value.length === 0)
      throw new TypeError(
        `renderUserData: ${name} is required${byUrl ? '' : (BROKER as readonly string[]).includes(name) ? ' (or AMQP_URL)' : ''}`,
      );
  }
  const known = new Set<string>([...REQUIRED, ...BROKER, ...Object.keys(DEFAULTS)]);
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new TypeError(`renderUserData: unknown placeholder ${name}`);
  }
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = merged[name];
    if (value === undefined || value === null) throw new TypeError(`renderUserData: no value for {{${name}}}`);
    const text = String(value);
    if (text.includes('\0')) throw new TypeError(`renderUserData: ${name} contains a NUL byte`);
    return shellQuote(text);
  });
}

/**
 * Renders one of the package's cloud-init user-data templates (see {@link USER_DATA_TEMPLATES}) for a VNFM:
 * broker settings and endpoint type in, a bash script out; the NFVO later fills the hostname.
 * @example const userData = await renderUserData({ BROKER_IP: '10.0.0.5', USERNAME: 'admin', PASSWORD: 'pw', TYPE: 'generic' });
 * @example const userData = await renderUserData({ AMQP_URL: 'amqps://ems:pw@broker:5671/nfv', TLS_CA_PEM: pem, TYPE: 'generic' }, 'preinstalled');
 */
export async function renderUserData(values: UserDataValues, kind: UserDataKind = 'install'): Promise<string> {
  const path = USER_DATA_TEMPLATES[kind];
  if (path === undefined) throw new TypeError(`renderUserData: unknown template ${String(kind)} (install or preinstalled)`);
  return fillUserDataTemplate(await readFile(path, 'utf8'), values);
}
