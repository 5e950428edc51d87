// A deployment whose scripts wait at gates, for fault tests that must strike while a given script runs on
// every VM: N VNFRs of one VM each, INSTANTIATE (install.sh, configure.sh) and START (start.sh, check.sh).
import { writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalVim } from '@vnfkit/vnfm-sdk/testing';
import type { Harness } from './harness.js';

/** The package's scripts, in the order they run. */
export const GATED_SCRIPTS = ['install.sh', 'configure.sh', 'start.sh', 'check.sh'] as const;

/**
 * Every run appends the script's name to the VM's runs.log (a second run shows up as a duplicate line),
 * then waits until its gate file exists; after two minutes without one it fails.
 */
function gatedScript(gates: string): string {
  return `#!/bin/bash
name=$(basename "$0")
echo "$name" >> "$SCRIPTS_PATH/runs.log"
for _ in $(seq 1 1200); do [ -e "${gates}/$name" ] && exit 0; sleep 0.1; done
echo "the gate of $name never opened" >&2
exit 1
`;
}

/** Lines of a VM's runs.log; none while the VM does not exist yet. */
export async function runLog(vim: LocalVim, hostname: string): Promise<string[]> {
  let dir: string;
  try {
    dir = vim.scriptsDir(hostname);
  } catch {
    return [];
  }
  return (await readFile(join(dir, 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

export interface GatedDeployment {
  nsrId: string;
  names: string[];
  hostnames: string[];
  /** Opens the gate of `script` (synchronous: it also works while the event loop is held up on purpose). */
  open: (script: string) => void;
  /** Resolves once `script` has started on every VM; a VNFR in ERROR meanwhile fails at once, with its reason. */
  running: (script: string, timeoutMs?: number) => Promise<void>;
  /** Opens every gate (in `finally`: a failed run would otherwise wait out each blocked script on close). */
  openAll: () => void;
}

/** Deploys `vnfrs` VNFRs (`vnf00`…, VMs `vnf00-1`…) through the harness's simulator; gates start closed. */
export async function deployGated(h: Harness, input: { name: string; vnfrs: number }): Promise<GatedDeployment> {
  const gates = join(h.work, 'gates');
  await mkdir(gates, { recursive: true });
  const names = Array.from({ length: input.vnfrs }, (_, i) => `vnf${String(i).padStart(2, '0')}`);
  const scripts = Object.fromEntries(GATED_SCRIPTS.map((s) => [s, gatedScript(gates)]));
  const nsrId = await h.sim.deploy(
    {
      name: input.name,
      vnfd: names.map((name) => ({
        name,
        type: 't',
        endpoint: h.type,
        lifecycle_event: [
          { event: 'INSTANTIATE', lifecycle_events: ['install.sh', 'configure.sh'] },
          { event: 'START', lifecycle_events: ['start.sh', 'check.sh'] },
        ],
        vdu: [{ name: 'v', vnfc: [{}] }],
      })),
    },
    { packages: Object.fromEntries(names.map((name) => [name, { scripts }])) },
  );
  const open = (script: string): void => writeFileSync(join(gates, script), '');
  const hostnames = names.map((name) => `${name}-1`);
  const running = async (script: string, timeoutMs = 90_000): Promise<void> => {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const failed = h.sim.vnfrsOf(nsrId).filter((v) => v.status === 'ERROR');
      if (failed.length > 0)
        throw new Error(
          `waiting for ${script}: ${failed.map((v) => `${v.name ?? ''}: ${v.lifecycle_event_history?.at(-1)?.description ?? ''}`).join('; ')}`,
        );
      const logs = await Promise.all(hostnames.map((host) => runLog(h.vim, host)));
      if (logs.every((lines) => lines.includes(script))) return;
      if (Date.now() > deadline)
        throw new Error(
          `${script} started on ${logs.filter((lines) => lines.includes(script)).length} of ${hostnames.length} VMs within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    nsrId,
    names,
    hostnames,
    open,
    running,
    openAll: () => {
      for (const script of GATED_SCRIPTS) {
        try {
          open(script);
        } catch {
          // best effort, from a finally block: the original failure is the one to report
        }
      }
    },
  };
}
