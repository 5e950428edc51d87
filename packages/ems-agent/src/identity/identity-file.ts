import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentIdentityFromPem, newAgentIdentity, type IdentityKeyPair } from '@vnfkit/protocol';
import { writeFileAtomic } from '../scripts/script-store.js';

/** Where the agent keeps its key pair: `<state_dir>/identity.pem`, 0600 (root only). */
export function identityFile(stateDir: string): string {
  return join(stateDir, 'identity.pem');
}

/**
 * This VM's X25519 key pair: read from `<state_dir>/identity.pem`, made (and written root-only) at first start.
 * Kept across restarts, so the VNFM's pin of it holds; a VM whose file is lost has to be enrolled again (its
 * VNFM refuses the new key as a conflict until the pin is cleared). @throws when the file holds no X25519 key
 */
export function loadOrCreateIdentity(stateDir: string): { identity: IdentityKeyPair; created: boolean } {
  const file = identityFile(stateDir);
  let pem: string | undefined;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (pem !== undefined) {
    chmodSync(file, 0o600);
    try {
      return { identity: agentIdentityFromPem(pem), created: false };
    } catch (error) {
      throw new Error(
        `${file} holds no usable key (${(error as Error).message}); remove it to make a new one (the VNFM must then forget this host's pin)`,
      );
    }
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const made = newAgentIdentity();
  writeFileAtomic(file, made.pem, 0o600);
  return { identity: { privateKey: made.privateKey, publicKey: made.publicKey }, created: true };
}
