/**
 * Where a VNFM keeps the identity (X25519 public key) each VM presented in its first hello — trust on first use, see
 * `vm-identity.ts` of @vnfkit/protocol. The first key pinned for a host stays until the host is forgotten (its VM
 * is gone); a later, different key is an impersonation attempt or a rebuilt VM, never trusted silently.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { IDENTITY_PUBLIC_KEY_PATTERN } from '@vnfkit/protocol';
import { StreamLog, type Transport } from '@vnfkit/transport';
import type { Logger } from 'pino';

/**
 * The pins of one VNFM (shared by its replicas where they live on the broker). A pin's name is the hostname, or
 * `<hostname>#<suffix>` (the EmsClient adds a fingerprint of the host key, so each VNFR's VM of a name has its own).
 */
export interface IdentityPins {
  /** The key pinned under a name, if any. */
  get(name: string): string | undefined;
  /** Pins `publicKey` under `name` unless a key is pinned there already; resolves with the pinned key (the first one wins). */
  pin(name: string, publicKey: string): Promise<string>;
  /** Forgets every pin of these hosts (their VMs are gone): a new VM of that name enrols afresh. */
  forget(hostnames: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** One change of the pins, as written to a file or stream. */
type PinRecord = { op: 'pin'; hostname: string; publicKey: string } | { op: 'forget'; hostname: string };

/** Checks a record read back (a file or stream another process wrote). @throws for anything else */
function parsePinRecord(value: unknown): PinRecord {
  const r = value as Partial<Record<'op' | 'hostname' | 'publicKey', unknown>> | null;
  if (typeof r === 'object' && r !== null && typeof r.hostname === 'string' && r.hostname !== '') {
    if (r.op === 'forget') return { op: 'forget', hostname: r.hostname };
    if (r.op === 'pin' && typeof r.publicKey === 'string' && IDENTITY_PUBLIC_KEY_PATTERN.test(r.publicKey))
      return { op: 'pin', hostname: r.hostname, publicKey: r.publicKey };
  }
  throw new Error('not an identity pin record');
}

/** True when the pin `name` is of `hostname` (the name itself, or `<hostname>#…`). */
function ofHost(name: string, hostname: string): boolean {
  return name === hostname || name.startsWith(`${hostname}#`);
}

/** Applies a record in log order: the first pin of a name wins until its host is forgotten. (A pin record's `hostname` holds the pin's name.) */
function apply(pins: Map<string, string>, record: PinRecord): void {
  if (record.op === 'pin') {
    if (!pins.has(record.hostname)) pins.set(record.hostname, record.publicKey);
    return;
  }
  for (const name of [...pins.keys()]) if (ofHost(name, record.hostname)) pins.delete(name);
}

/** True when some pin belongs to `hostname`. */
function hasHost(pins: Map<string, string>, hostname: string): boolean {
  return [...pins.keys()].some((name) => ofHost(name, hostname));
}

/** Pins in memory only (tests, or a VNFM that re-enrols every VM after a restart). */
export class MemoryIdentityPins implements IdentityPins {
  private readonly pins = new Map<string, string>();
  get(name: string): string | undefined {
    return this.pins.get(name);
  }
  async pin(name: string, publicKey: string): Promise<string> {
    apply(this.pins, { op: 'pin', hostname: name, publicKey });
    return this.pins.get(name) as string;
  }
  async forget(hostnames: readonly string[]): Promise<void> {
    for (const hostname of hostnames) apply(this.pins, { op: 'forget', hostname });
  }
  async close(): Promise<void> {}
}

/**
 * Pins in a JSON-lines file (0600, fsynced per record), read back at open: they outlive a VNFM restart. One
 * process per file (a single VNFM; replicas use {@link StreamIdentityPins}).
 */
export class FileIdentityPins implements IdentityPins {
  private readonly pins = new Map<string, string>();
  private constructor(private readonly fd: number) {}

  static open(file: string, logger?: Logger): FileIdentityPins {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const pins = new FileIdentityPins(openSync(file, 'a', 0o600));
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        apply(pins.pins, parsePinRecord(JSON.parse(line)));
      } catch (error) {
        logger?.warn({ file, err: (error as Error).message }, 'skipping an unreadable identity pin record');
      }
    }
    return pins;
  }

  get(name: string): string | undefined {
    return this.pins.get(name);
  }

  async pin(name: string, publicKey: string): Promise<string> {
    const known = this.pins.get(name);
    if (known !== undefined) return known;
    this.append({ op: 'pin', hostname: name, publicKey });
    return publicKey;
  }

  async forget(hostnames: readonly string[]): Promise<void> {
    for (const hostname of hostnames) if (hasHost(this.pins, hostname)) this.append({ op: 'forget', hostname });
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }

  private append(record: PinRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
    apply(this.pins, record);
  }
}

/**
 * Pins on a RabbitMQ stream (`vnfkit.pins.<endpoint>`), shared by every replica: each reads the whole stream, so
 * all agree on which pin came first, whichever replica wrote it.
 */
export class StreamIdentityPins implements IdentityPins {
  private readonly pins = new Map<string, string>();
  private log: StreamLog<PinRecord> | undefined;

  static async open(options: { transport: Transport; stream: string; logger?: Logger }): Promise<StreamIdentityPins> {
    const store = new StreamIdentityPins();
    store.log = await StreamLog.open<PinRecord>(options.transport, options.stream, {
      parse: parsePinRecord,
      onRecord: (record) => apply(store.pins, record),
      onError: (error) =>
        options.logger?.warn({ stream: options.stream, err: error.message }, 'skipping an unreadable identity pin record'),
      // Pins are tiny; a bound keeps a long-lived stream small (a VM enrolled long ago re-enrols if its pin aged out).
      maxLengthBytes: 256 * 1024 ** 2,
    });
    return store;
  }

  get(name: string): string | undefined {
    return this.pins.get(name);
  }

  async pin(name: string, publicKey: string): Promise<string> {
    const log = this.opened();
    await log.sync(); // another replica may have pinned this host a moment ago
    const known = this.pins.get(name);
    if (known !== undefined) return known;
    await log.append({ op: 'pin', hostname: name, publicKey });
    await log.sync(); // read up to our own record: a pin another replica wrote just before ours wins
    return this.pins.get(name) as string;
  }

  async forget(hostnames: readonly string[]): Promise<void> {
    const log = this.opened();
    for (const hostname of hostnames) if (hasHost(this.pins, hostname)) await log.append({ op: 'forget', hostname });
  }

  async close(): Promise<void> {
    await this.log?.close();
  }

  private opened(): StreamLog<PinRecord> {
    if (this.log === undefined) throw new Error('the identity pin stream is not open');
    return this.log;
  }
}
