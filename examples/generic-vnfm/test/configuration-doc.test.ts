// docs/configuration.md against the code: every key of the agent's and the Generic VNFM's schemas and every
// environment variable the SDK, the Generic VNFM and the agent read is listed, and no variable listed there is
// unknown to the code — so the reference cannot drift.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, ENV_PREFIX } from '@vnfkit/ems-agent';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, EmsConfig, GenericVnfmConfig } from '../src/config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
const section = (title: string): string => {
  const start = doc.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`docs/configuration.md has no section "${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
};
/** The variables the SDK reads: the string literals of its config module. */
const sdkVariables = [
  ...readFileSync(join(root, 'packages', 'vnfm-sdk', 'src', 'config.ts'), 'utf8').matchAll(/'((?:VNFKIT|VNFM)_[A-Z_]+|AMQP_URL)'/g),
].map((m) => m[1] ?? '');

describe('docs/configuration.md', () => {
  it('lists every option variable of the SDK', () => {
    expect(sdkVariables.length).toBeGreaterThan(8);
    for (const name of sdkVariables) expect(section('The SDK'), name).toContain(`\`${name}\``);
  });

  it('lists every key and variable of the Generic VNFM', () => {
    const generic = section('The Generic VNFM');
    for (const key of Object.keys(GenericVnfmConfig.shape)) if (key !== 'ems') expect(generic, key).toContain(`\`${key}\``);
    for (const key of Object.keys(EmsConfig.shape))
      expect(generic, `ems.${key}`).toMatch(new RegExp(`\`ems\\.${key}\`|\`ems\\.\\w+\`, \`ems\\.${key}\``));
    for (const [name] of ENVIRONMENT) expect(generic, name).toContain(`\`${name}\``);
  });

  it('lists every key of the agent, and its variable rule', () => {
    const agent = section('The EMS agent');
    for (const key of CONFIG_KEYS) expect(agent, key).toContain(`| \`${key}\` |`);
    expect(section('Naming')).toContain(`\`${ENV_PREFIX}<KEY>\``);
  });

  it('names no variable the code does not read', () => {
    const known = new Set([
      ...sdkVariables,
      ...ENVIRONMENT.map(([name]) => name),
      ...CONFIG_KEYS.map((k) => `${ENV_PREFIX}${k.toUpperCase()}`),
    ]);
    const mentioned = [...doc.matchAll(/`((?:VNFKIT|VNFM)_[A-Z0-9_]+)`/g)].map((m) => m[1] ?? '').filter((n) => !n.endsWith('_'));
    expect(mentioned.filter((name) => !known.has(name))).toEqual([]);
  });
});
