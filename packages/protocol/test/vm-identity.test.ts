// Per-VM keys (issue #15): the agent's and the VNFM's sides derive the same key; a sibling VM that knows the
// VNFR key and the host key but not the VM's private key cannot.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  agentIdentityFromPem,
  decodeEmsHello,
  deriveAgentKey,
  deriveVmKey,
  deriveVnfrKey,
  identityMac,
  newAgentIdentity,
  verifyIdentityMac,
  vnfmIdentity,
} from '../src/index.js';

const master = 'master-key-of-the-vnfm-0123456789';
const hostKey = deriveAgentKey(deriveVnfrKey(master, 'vnfr-1'), 'server-1');

describe('per-VM identity keys', () => {
  it('the agent (its key + the VNFM public key) and the VNFM (its key + the pinned agent key) derive the same VM key', () => {
    const vnfm = vnfmIdentity(master);
    const agent = newAgentIdentity();
    const onAgent = deriveVmKey({ privateKey: agent.privateKey, peerPublicKey: vnfm.publicKey, hostKey, hostname: 'server-1' });
    const onVnfm = deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: agent.publicKey, hostKey, hostname: 'server-1' });
    expect(onAgent).toMatch(/^[0-9a-f]{64}$/);
    expect(onVnfm).toBe(onAgent);
    // Another hostname, or the host key of another VNFR, gives another key.
    expect(deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: agent.publicKey, hostKey, hostname: 'server-2' })).not.toBe(onAgent);
    expect(
      deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: agent.publicKey, hostKey: 'x'.repeat(64), hostname: 'server-1' }),
    ).not.toBe(onAgent);
  });

  it('a sibling VM with the same host key but its own key pair derives a different key (it cannot sign for the VM)', () => {
    const vnfm = vnfmIdentity(master);
    const victim = newAgentIdentity();
    const sibling = newAgentIdentity();
    const victimKey = deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: victim.publicKey, hostKey, hostname: 'server-1' });
    const siblingGuess = deriveVmKey({ privateKey: sibling.privateKey, peerPublicKey: vnfm.publicKey, hostKey, hostname: 'server-1' });
    expect(siblingGuess).not.toBe(victimKey);
  });

  it('the VNFM key pair is the same for the same master key (replicas), and an agent key pair survives its PEM', () => {
    expect(vnfmIdentity(master).publicKey).toBe(vnfmIdentity(master).publicKey);
    expect(vnfmIdentity(`${master}x`).publicKey).not.toBe(vnfmIdentity(master).publicKey);
    expect(vnfmIdentity(master).publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const agent = newAgentIdentity();
    expect(agentIdentityFromPem(agent.pem).publicKey).toBe(agent.publicKey);
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => agentIdentityFromPem(ed25519)).toThrow(/not an X25519 private key \(ed25519\)/);
  });

  it('refuses malformed and low-order peer keys', () => {
    const vnfm = vnfmIdentity(master);
    expect(() => deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: 'short', hostKey, hostname: 'h' })).toThrow(/43 base64url/);
    const zero = Buffer.alloc(32).toString('base64url');
    expect(() => deriveVmKey({ privateKey: vnfm.privateKey, peerPublicKey: zero, hostKey, hostname: 'h' })).toThrow();
  });

  it('the identity MAC binds host and key; the hello schema carries it', () => {
    const agent = newAgentIdentity();
    const mac = identityMac(hostKey, 'server-1', agent.publicKey);
    expect(verifyIdentityMac(hostKey, { hostname: 'server-1', publicKey: agent.publicKey, mac })).toBe(true);
    expect(verifyIdentityMac(hostKey, { hostname: 'server-2', publicKey: agent.publicKey, mac })).toBe(false);
    expect(verifyIdentityMac(hostKey, { hostname: 'server-1', publicKey: newAgentIdentity().publicKey, mac })).toBe(false);
    expect(verifyIdentityMac(hostKey, { hostname: 'server-1', publicKey: agent.publicKey, mac: 'zz' })).toBe(false);
    const hello = decodeEmsHello(JSON.stringify({ hostname: 'server-1', identity: { publicKey: agent.publicKey, mac } }));
    expect(hello.identity).toEqual({ publicKey: agent.publicKey, mac });
    expect(() => decodeEmsHello(JSON.stringify({ hostname: 'server-1', identity: { publicKey: 'bad', mac } }))).toThrow(/identity/);
  });
});
