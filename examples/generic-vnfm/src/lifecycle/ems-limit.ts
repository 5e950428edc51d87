import type { AgentChannel } from './agent-channel.js';

/**
 * At most `limit` agent commands in flight across the whole VNFM (every VNFR, every NFVO command), the others
 * waiting in arrival order (FIFO). The VNFM-wide cap Open Baton's Generic VNFM has through its thread pools
 * (`emsConcurrency`, docs/generic-vnfm.md, "Against the upstream model"):
 *
 * - vnfm-sdk 5.0.0–5.1.x, `AbstractVnfmSpringAmqp.java` (5.1.0, lines 71–72, 101, 125, 133, 157): `vnfm.consumers.num`
 *   (default 5; generic-vnfm `application.properties` line 19) consumer threads, prefetch 1, each handling one NFVO
 *   message to the end — its EMS commands one after the other — before it acks: at most 5 EMS commands at once.
 * - generic-vnfm 6.0.0, `ElementManagementSystem.java` lines 78–79: `new ThreadPoolExecutor(5, 10, 5000 ms,
 *   new LinkedBlockingQueue<>())` — unbounded queue, so 5 threads — runs the waits for the EMS registrations
 *   (`GenericVNFM.java` lines 117–125). Since vnfm-sdk 5.2.0 (commit a1a32ae) the NFVO messages themselves go to
 *   `Executors.newCachedThreadPool()` and are acked at once (`AbstractVnfmSpringAmqp.java` 6.0.0, lines 93, 122,
 *   156): 6.0.0 does not bound the EMS commands (`sendAndReceive` on the message's thread, `ElementManagementSystem.java`
 *   line 296) by 5.
 *
 * Waiting for a hello (`waitForAgent`) and `forgetAgent` are not commands and are not limited.
 */
export function limitEmsCommands(agents: AgentChannel, limit: number | undefined): AgentChannel {
  if (limit === undefined || !Number.isFinite(limit)) return agents;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`emsConcurrency must be a positive integer, got ${limit}`);
  const gate = new CommandGate(limit);
  return {
    waitForAgent: (hostname) => agents.waitForAgent(hostname),
    acceptsBundles: (hostname) => agents.acceptsBundles(hostname),
    acceptsFilesWithExecute: (hostname) => agents.acceptsFilesWithExecute(hostname),
    saveScript: (hostname, file) => gate.run(() => agents.saveScript(hostname, file)),
    saveScripts: (hostname, files) => gate.run(() => agents.saveScripts(hostname, files)),
    cloneScripts: (hostname, url) => gate.run(() => agents.cloneScripts(hostname, url)),
    execute: (hostname, script, options) => gate.run(() => agents.execute(hostname, script, options)),
    updateScript: (hostname, file) => gate.run(() => agents.updateScript(hostname, file)),
    saveVnfrDependency: (hostname, payload) => gate.run(() => agents.saveVnfrDependency(hostname, payload)),
    forgetAgent: (hostname) => agents.forgetAgent(hostname),
  };
}

/** A counting semaphore with a FIFO queue. */
class CommandGate {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#free = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head++];
      // Compact now and then: the queue of a big deployment is long, and shift() is O(n).
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting.splice(0, this.#head);
        this.#head = 0;
      }
      next?.(); // the slot passes straight to the next command
    } else {
      this.#free++;
    }
  }
}
