/** Sends `signal` to every process of the group led by `pid`; false when the group is gone (ESRCH). */
export function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  return killGroup(pid, 0);
}
