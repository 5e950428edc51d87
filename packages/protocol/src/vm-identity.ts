/**
 * Per-VM keys no sibling VM can derive. Open Baton hands every VM of a VNFR the same user-data, so a key given
 * through it (the VNFR key, `deriveVnfrKey`) is known to every VM of that VNFR. Each agent therefore makes an
 * X25519 key pair of its own at first start (kept root-only on the VM) and presents the public half in its hello,
 * MAC'd with the VNFR-derived host key; the VNFM pins the first one it sees per host (trust on first use). Both then
 * sign with {@link deriveVmKey}: HKDF over the X25519 shared secret of the agent's key and the VNFM's, salted with the
 * host key — root on a sibling VM knows the host key but not the shared secret, so it cannot sign for that VM or
 * forge its replies once the VM has enrolled. The VNFM's key pair is derived from its master key, so every replica
 * has the same one and the public half can go into user-data.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/** An X25519 key pair; `publicKey` is the raw 32-byte public key, base64url (43 characters). */
export interface IdentityKeyPair {
  privateKey: KeyObject;
  publicKey: string;
}

/** A raw X25519 public key, base64url: what a hello's `identity.publicKey` and `vnfm_public_key` hold. */
export const IDENTITY_PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

// DER headers of a raw X25519 key (RFC 8410): PKCS#8 private key, SubjectPublicKeyInfo public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function publicKeyOf(privateKey: KeyObject): string {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_PREFIX.length).toString('base64url');
}

function publicKeyObject(publicKey: string): KeyObject {
  if (!IDENTITY_PUBLIC_KEY_PATTERN.test(publicKey)) throw new Error('not an X25519 public key (43 base64url characters)');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKey, 'base64url')]), format: 'der', type: 'spki' });
}

/** The VNFM's key pair, derived from its master signing key (the same for every replica). */
export function vnfmIdentity(master: string): IdentityKeyPair {
  const seed = createHmac('sha256', master).update('vnfkit-vnfm-identity-x25519').digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** A new random key pair for an agent, and its PEM (PKCS#8) to keep. */
export function newAgentIdentity(): IdentityKeyPair & { pem: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKeyOf(privateKey), pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** An agent's key pair read back from its PEM. @throws when the PEM is not an X25519 private key */
export function agentIdentityFromPem(pem: string): IdentityKeyPair {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'x25519') throw new Error(`not an X25519 private key (${String(privateKey.asymmetricKeyType)})`);
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** What {@link deriveVmKey} needs: one side's private key, the other side's public key, and the host. */
export interface VmKeyInput {
  privateKey: KeyObject;
  peerPublicKey: string;
  /** The VNFR-derived key of the host, `deriveAgentKey(signing_key, hostname)`. */
  hostKey: string;
  hostname: string;
}

/**
 * The key a VM and its VNFM sign commands and replies with once the VM enrolled: hex HKDF-SHA256 of the X25519
 * shared secret, salted with the host key, for this hostname. Both sides get the same key (agent: its private key
 * and the VNFM's public key; VNFM: its private key and the pinned public key of the VM).
 * @throws when the peer key is malformed or a low-order point (all-zero shared secret)
 */
export function deriveVmKey(input: VmKeyInput): string {
  const shared = diffieHellman({ privateKey: input.privateKey, publicKey: publicKeyObject(input.peerPublicKey) });
  if (shared.every((byte) => byte === 0)) throw new Error('the peer public key gives no shared secret (low-order point)');
  const key = hkdfSync('sha256', shared, Buffer.from(input.hostKey, 'utf8'), `vnfkit-ems-vm-key\n${input.hostname}`, 32);
  return Buffer.from(key).toString('hex');
}

/** The MAC of a hello's identity: hex HMAC-SHA256(host key) over the hostname and the public key. */
export function identityMac(hostKey: string, hostname: string, publicKey: string): string {
  return createHmac('sha256', hostKey)
    .update(JSON.stringify(['vnfkit-ems-identity', hostname, publicKey]))
    .digest('hex');
}

/** True when `mac` is {@link identityMac} of this host and key (constant-time compare). */
export function verifyIdentityMac(hostKey: string, identity: { hostname: string; publicKey: string; mac: string }): boolean {
  const expected = Buffer.from(identityMac(hostKey, identity.hostname, identity.publicKey), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(identity.mac) ? identity.mac : '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
