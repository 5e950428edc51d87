import { join } from 'node:path';
import type { EmsConfigInput } from '../../src/config.js';
import { tempDir, uniqueHostname } from './temp.js';

/** A config for an in-process agent with per-test script and state directories. */
export async function testConfig(
  overrides: Partial<EmsConfigInput> = {},
): Promise<EmsConfigInput & { scripts_dir: string; state_dir: string; hostname: string }> {
  const root = await tempDir('vnfkit-agent-');
  return {
    hostname: uniqueHostname(),
    type: 'test',
    scripts_dir: join(root, 'scripts'),
    state_dir: join(root, 'state'),
    command_timeout: 20,
    kill_grace: 1,
    ...overrides,
  } as EmsConfigInput & { scripts_dir: string; state_dir: string; hostname: string };
}

/** Base64 of a UTF-8 text. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
