// emsConcurrency: a VNFM-wide cap on agent commands in flight (Open Baton's Generic VNFM's thread pools, see
// src/lifecycle/ems-limit.ts), and the upstreamModel preset. A slow fake agent fleet counts the peak of commands
// in flight across several VNFRs deployed at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@vnfkit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { limitEmsCommands } from '../../src/lifecycle/ems-limit.js';
import { GenericLifecycle } from '../../src/lifecycle/generic-lifecycle.js';
import type { CommandReply } from '../../src/lifecycle/run-plan.js';
import { ScriptLogs } from '../../src/logs/index.js';
import { MemoryResumeStore } from '../../src/resume-store/index.js';
import { FakeAgents, type FakeCall } from '../helpers/fake-agents.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Fake agents whose every command takes `delayMs` and which count the commands in flight (all, and per VNFR). */
class SlowAgents extends FakeAgents {
  inFlight = 0;
  peak = 0;
  readonly perVnfr = new Map<string, { now: number; peak: number }>();

  constructor(
    hostnames: string[],
    private readonly delayMs: number,
  ) {
    super(hostnames);
  }

  override saveScript(...args: Parameters<FakeAgents['saveScript']>): Promise<CommandReply> {
    return this.#slow(args[0], () => super.saveScript(...args));
  }

  override execute(...args: Parameters<FakeAgents['execute']>): Promise<CommandReply> {
    return this.#slow(args[0], () => super.execute(...args));
  }

  override saveVnfrDependency(...args: Parameters<FakeAgents['saveVnfrDependency']>): Promise<CommandReply> {
    return this.#slow(args[0], () => super.saveVnfrDependency(...args));
  }

  async #slow(hostname: string, send: () => Promise<CommandReply>): Promise<CommandReply> {
    const vnfr = hostname.replace(/-\d+$/, '');
    const mine = this.perVnfr.get(vnfr) ?? { now: 0, peak: 0 };
    this.perVnfr.set(vnfr, mine);
    this.inFlight++;
    mine.now++;
    this.peak = Math.max(this.peak, this.inFlight);
    mine.peak = Math.max(mine.peak, mine.now);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      return await send();
    } finally {
      this.inFlight--;
      mine.now--;
    }
  }
}

const VNFRS = 4;
const VNFCS = 3;
const SCRIPTS = ['one.sh', 'two.sh'];

function vnfr(i: number) {
  return {
    id: `vnfr-${i}`,
    name: `v${i}`,
    lifecycle_event: [{ event: 'INSTANTIATE', lifecycle_events: SCRIPTS }],
    vdu: [
      {
        vnfc_instance: Array.from({ length: VNFCS }, (_v, c) => ({
          id: `v${i}-c${c + 1}`,
          hostname: `v${i}-${c + 1}`,
          ips: [{ netName: 'private', ip: `10.0.${i}.${c + 1}` }],
        })),
      },
    ],
  };
}

/** Instantiates VNFRS VNFRs at once (as the NFVO does) and returns the fleet's counters. */
async function deploy(options: { emsConcurrency?: number; vnfcConcurrency?: 'parallel' | 'serial' }) {
  const hostnames = Array.from({ length: VNFRS }, (_v, i) => Array.from({ length: VNFCS }, (_w, c) => `v${i + 1}-${c + 1}`)).flat();
  const agents = new SlowAgents(hostnames, 5);
  const dir = await mkdtemp(join(tmpdir(), 'vnfkit-ems-limit-'));
  dirs.push(dir);
  const lifecycle = new GenericLifecycle({
    agents,
    resumeStore: new MemoryResumeStore(),
    logs: new ScriptLogs({ directory: dir }),
    ...options,
  });
  const files = SCRIPTS.map((name) => ({ name, content: Buffer.from(`echo ${name}`) }));
  await Promise.all(Array.from({ length: VNFRS }, (_v, i) => lifecycle.instantiate({ vnfr: vnfr(i + 1), scripts: { files } })));
  return agents;
}

describe('emsConcurrency', () => {
  it('unlimited by default: every VNFC of every VNFR at once', async () => {
    const agents = await deploy({});
    // 4 VNFRs × 3 VNFCs × 2 files saved at once.
    expect(agents.peak).toBe(VNFRS * VNFCS * SCRIPTS.length);
    expect(agents.of('EXECUTE')).toHaveLength(VNFRS * VNFCS * SCRIPTS.length);
  });

  it('caps the agent commands in flight across all VNFRs, and still runs every one of them', async () => {
    const agents = await deploy({ emsConcurrency: 5 });
    expect(agents.peak).toBe(5);
    expect(agents.of('SAVE_SCRIPTS')).toHaveLength(VNFRS * VNFCS * SCRIPTS.length);
    expect(agents.of('EXECUTE')).toHaveLength(VNFRS * VNFCS * SCRIPTS.length);
    expect(agents.inFlight).toBe(0);
  });

  it('with serial VNFCs (the upstream model): one command per VNFR at a time, at most the cap across VNFRs', async () => {
    const agents = await deploy({ emsConcurrency: 2, vnfcConcurrency: 'serial' });
    expect(agents.peak).toBe(2);
    // Upstream's order: script-major, the VNFCs one after the other.
    const executes = agents.calls
      .filter((c: FakeCall) => c.action === 'EXECUTE' && c.hostname.startsWith('v1-'))
      .map((c) => `${c.hostname}:${c.payload}`);
    expect(executes).toEqual(['v1-1:one.sh', 'v1-2:one.sh', 'v1-3:one.sh', 'v1-1:two.sh', 'v1-2:two.sh', 'v1-3:two.sh']);
  });

  it('a failed command frees its slot', async () => {
    const inner = new FakeAgents(['a-1']);
    inner.decide = (call) => {
      if (call.payload === 'boom') throw new Error('no answer');
      return undefined;
    };
    const limited = limitEmsCommands(inner, 1);
    await expect(limited.execute('a-1', 'boom')).rejects.toThrow('no answer');
    await expect(limited.execute('a-1', 'fine')).resolves.toMatchObject({ status: 0 });
    expect(() => limitEmsCommands(inner, 0)).toThrow(RangeError);
    expect(limitEmsCommands(inner, undefined)).toBe(inner);
  });
});

describe('emsConcurrency and upstreamModel in the configuration', () => {
  const run = (options: Parameters<typeof loadConfig>[0]) => {
    const loaded = loadConfig(options);
    if (loaded.kind !== 'run') throw new Error(`expected run, got ${loaded.kind}`);
    return loaded.config;
  };

  it('unlimited and parallel by default; from the environment, a flag or a file', () => {
    expect(run({})).toMatchObject({ upstreamModel: false, vnfcConcurrency: 'parallel' });
    expect(run({}).emsConcurrency).toBeUndefined();
    expect(run({ env: { VNFKIT_EMS_CONCURRENCY: '7' } }).emsConcurrency).toBe(7);
    expect(run({ argv: ['--ems-concurrency', '3'], env: { VNFKIT_EMS_CONCURRENCY: '7' } }).emsConcurrency).toBe(3);
    expect(run({ argv: ['-c', 'x.ini'], readFile: () => 'ems_concurrency = 4\n' }).emsConcurrency).toBe(4);
    for (const bad of ['0', '-1', '2.5', 'many']) expect(() => run({ env: { VNFKIT_EMS_CONCURRENCY: bad } }), bad).toThrow(ConfigError);
  });

  it('upstreamModel sets serial VNFCs and 5 commands at once, unless they are given explicitly', () => {
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: '1' } })).toMatchObject({
      upstreamModel: true,
      vnfcConcurrency: 'serial',
      emsConcurrency: 5,
    });
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: 'true' } })).toMatchObject({ vnfcConcurrency: 'serial', emsConcurrency: 5 });
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: '0' } })).toMatchObject({ upstreamModel: false, vnfcConcurrency: 'parallel' });
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: '0' } }).emsConcurrency).toBeUndefined();
    expect(run({ argv: ['--ems-concurrency', '15'], env: { VNFKIT_UPSTREAM_MODEL: '1' } })).toMatchObject({
      vnfcConcurrency: 'serial',
      emsConcurrency: 15,
    });
    expect(run({ argv: ['-c', 'x.json'], readFile: () => '{"upstreamModel": true, "vnfcConcurrency": "parallel"}' })).toMatchObject({
      vnfcConcurrency: 'parallel',
      emsConcurrency: 5,
    });
    expect(() => run({ env: { VNFKIT_UPSTREAM_MODEL: 'yes' } })).toThrow(ConfigError);
  });

  it('bundles are on by default, off with upstreamModel unless given explicitly', () => {
    expect(run({}).bundles).toBe(true);
    expect(run({ env: { VNFKIT_BUNDLES: '0' } }).bundles).toBe(false);
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: '1' } }).bundles).toBe(false);
    expect(run({ env: { VNFKIT_UPSTREAM_MODEL: '1', VNFKIT_BUNDLES: 'true' } }).bundles).toBe(true);
    expect(run({ argv: ['-c', 'x.ini'], readFile: () => 'bundles = false\n' }).bundles).toBe(false);
    expect(() => run({ env: { VNFKIT_BUNDLES: 'maybe' } })).toThrow(ConfigError);
  });
});
