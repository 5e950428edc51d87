/**
 * The NFVO command an EMS command is sent for. Inside {@link runInOperation} (the VNFM's handling of one journaled
 * command) the `EmsClient` gives its commands correlation ids derived from the command's journal key, the
 * hostname and the command's place in the sequence sent to that host: when another replica takes the NFVO command
 * over and runs it again, it sends the same ids, and a deduplicating agent answers each repeat from its execution
 * record instead of running the script a second time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';

interface Operation {
  readonly key: string;
  /** Commands sent per hostname so far. */
  readonly sent: Map<string, number>;
}

const current = new AsyncLocalStorage<Operation>();

/** Runs `work` as the handling of the NFVO command journaled under `key`. */
export function runInOperation<T>(key: string, work: () => Promise<T>): Promise<T> {
  return current.run({ key, sent: new Map() }, work);
}

/** The next command's correlation id for `hostname` in the current operation; undefined outside one. */
export function nextOperationCorrelationId(hostname: string): string | undefined {
  const operation = current.getStore();
  if (operation === undefined) return undefined;
  const n = (operation.sent.get(hostname) ?? 0) + 1;
  operation.sent.set(hostname, n);
  const digest = createHash('sha256').update(`${operation.key}\n${hostname}\n${n}`).digest('hex');
  // UUID-shaped, like the random ids.
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}
