import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { shellQuote } from './internal/shell.js';

/** Absolute path of the cloud-init user-data template shipped in the package (`systemd/user-data.sh.tmpl`). */
export const USER_DATA_TEMPLATE_PATH: string = fileURLToPath(new URL('../systemd/user-data.sh.tmpl', import.meta.url));

/** Values for the user-data placeholders; names are the `{{NAME}}` placeholders of the template. */
export interface UserDataValues {
  /** Broker address reachable from the VM (the NFVO's `brokerIp`). */
  BROKER_IP: string;
  /** @default 5672 */
  BROKER_PORT?: number | string;
  USERNAME: string;
  PASSWORD: string;
  /** VNFM endpoint type, e.g. `generic` (hellos go to `ems.<TYPE>.register`). */
  TYPE: string;
  /** @default "openbaton-exchange" */
  EXCHANGE?: string;
  /** AMQP heartbeat in seconds. @default 60 */
  HEARTBEAT?: number | string;
  /** Auto-delete the actions queue. @default true */
  AUTODELETE?: boolean | string;
  /** npm spec installed with `npm install -g`. @default "@vnfkit/ems-agent" */
  EMS_PACKAGE?: string;
  /**
   * The agent's `signing_key` (the Generic VNFM: `deriveVnfrKey(master, vnfr id)`); install.sh also sets
   * `require_signing`. @default "" (no signing)
   */
  SIGNING_KEY?: string;
}

const DEFAULTS: Required<Pick<UserDataValues, 'BROKER_PORT' | 'EXCHANGE' | 'HEARTBEAT' | 'AUTODELETE' | 'EMS_PACKAGE' | 'SIGNING_KEY'>> = {
  BROKER_PORT: 5672,
  EXCHANGE: 'openbaton-exchange',
  HEARTBEAT: 60,
  AUTODELETE: true,
  EMS_PACKAGE: '@vnfkit/ems-agent',
  SIGNING_KEY: '',
};
const REQUIRED = ['BROKER_IP', 'USERNAME', 'PASSWORD', 'TYPE'] as const;

/**
 * Fills a user-data template: each `{{NAME}}` becomes the single-quoted value (safe for any
 * characters except NUL). Throws a `TypeError` for a missing required value, an unknown name,
 * a NUL byte, or a placeholder left without a value. The `export #Hostname=` line is kept for the NFVO.
 */
export function fillUserDataTemplate(template: string, values: UserDataValues): string {
  const merged: Record<string, unknown> = { ...DEFAULTS, ...values };
  for (const name of REQUIRED) {
    const value = merged[name];
    if (typeof value !== 'string' || value.length === 0) throw new TypeError(`renderUserData: ${name} is required`);
  }
  const known = new Set<string>([...REQUIRED, ...Object.keys(DEFAULTS)]);
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
 * Renders the package's cloud-init user-data (see {@link USER_DATA_TEMPLATE_PATH}) for a VNFM:
 * broker settings and endpoint type in, a bash script out; the NFVO later fills the hostname.
 * @example const userData = await renderUserData({ BROKER_IP: '10.0.0.5', USERNAME: 'admin', PASSWORD: 'pw', TYPE: 'generic' });
 */
export async function renderUserData(values: UserDataValues): Promise<string> {
  return fillUserDataTemplate(await readFile(USER_DATA_TEMPLATE_PATH, 'utf8'), values);
}
