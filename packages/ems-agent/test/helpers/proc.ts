import { readdir, readFile } from 'node:fs/promises';

/** State letter of a process (R, S, D, Z, …) or undefined when it is gone. */
export async function processState(pid: number): Promise<string | undefined> {
  try {
    return /State:\s+(\S)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Pids of live (non-zombie) processes whose initial environment contains `NAME=value`. */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readFile(`/proc/${entry}/environ`)).includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
