import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Checked } from './script-store.js';
import { lazy } from '../internal/lazy.js';
import { killGroup } from '../internal/process-group.js';
import { addExecBits, SCRIPT_MODE } from './script-store.js';

/** execa loads on first use (CLONE_SCRIPTS is rare). */
const loadExeca = lazy(() => import('execa'));

/** Milliseconds between SIGTERM and SIGKILL when a clone is stopped. */
const KILL_GRACE_MS = 2_000;

/** URL schemes `CLONE_SCRIPTS` accepts; scp-style `user@host:path` is accepted too. */
export const ALLOWED_GIT_SCHEMES: readonly string[] = Object.freeze(['https', 'http', 'ssh', 'git']);
/** Value of GIT_ALLOW_PROTOCOL for every clone (also covers submodules and redirects). */
const GIT_ALLOW_PROTOCOL = 'https:http:ssh:git';

const SCP_STYLE = /^(?:[A-Za-z0-9._~+-]+@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!\/\/)\S+$/;

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactGitUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

/**
 * Checks a `CLONE_SCRIPTS` URL independently of any configuration: only `https://`, `http://`,
 * `ssh://`, `git://` and scp-style `user@host:path` are accepted. Refused: `file://`, local paths,
 * `ext::` and other transports, option-looking values (`--upload-pack=…`), whitespace and control
 * characters.
 */
export function checkGitUrl(url: string): Checked<string> {
  const shown = JSON.stringify(redactGitUrl(url));
  if (url.length === 0) return { ok: false, reason: 'git URL is empty' };
  if (url.length > 2048) return { ok: false, reason: 'git URL is longer than 2048 characters' };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return { ok: false, reason: `git URL ${shown} contains whitespace or control characters` };
  if (url.startsWith('-')) return { ok: false, reason: `git URL ${shown} looks like an option` };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    if (!ALLOWED_GIT_SCHEMES.includes(name)) {
      return { ok: false, reason: `git URL scheme "${name}://" is not allowed (allowed: ${ALLOWED_GIT_SCHEMES.map((s) => `${s}://`).join(', ')}, user@host:path)` };
    }
    const rest = url.slice(scheme[0].length);
    if (rest.length === 0 || rest.startsWith('/') || rest.startsWith('-')) return { ok: false, reason: `git URL ${shown} has no host` };
    return { ok: true, value: url };
  }
  if (url.includes('::')) return { ok: false, reason: `git URL ${shown} uses a git transport helper ("::"), which is not allowed` };
  if (SCP_STYLE.test(url)) return { ok: true, value: url };
  return { ok: false, reason: `git URL ${shown} is not a https://, http://, ssh://, git:// or user@host:path URL` };
}

/** Options of {@link cloneInto}. */
export interface CloneOptions {
  /** Repository URL; must pass {@link checkGitUrl}. */
  url: string;
  /** Target directory; replaced as a whole if it exists. */
  dir: string;
  /** Deadline of the `git clone` process in milliseconds. */
  timeoutMs: number;
  /** Environment of git (the agent's own). */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Result of a clone, shaped like an EMS reply. */
export interface CloneResult {
  status: number;
  /** git's stderr or the reason the clone was refused/failed. */
  err: string;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves the entries of `from` into the (emptied) directory `to`; used when `to` cannot be renamed (mount point). */
async function replaceContents(from: string, to: string): Promise<void> {
  for (const entry of await readdir(to)) await rm(join(to, entry), { recursive: true, force: true });
  for (const entry of await readdir(from)) await rename(join(from, entry), join(to, entry));
  await rm(from, { recursive: true, force: true });
}

/** Puts the fresh clone at `dir`: rename the old directory away, rename the clone in, delete the old one. */
async function swapIn(clone: string, dir: string): Promise<void> {
  if (!(await exists(dir))) {
    await rename(clone, dir);
    return;
  }
  const old = join(dirname(dir), `.${basename(dir)}.vnfkit-old-${randomBytes(4).toString('hex')}`);
  try {
    await rename(dir, old);
  } catch (error) {
    if (['EBUSY', 'EXDEV', 'EPERM', 'EACCES'].includes(errorCode(error) ?? '')) {
      await replaceContents(clone, dir);
      return;
    }
    throw error;
  }
  try {
    await rename(clone, dir);
  } catch (error) {
    await rename(old, dir); // put the old scripts back
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

/** Adds the executable bits to every top-level regular file and the directory itself, like the Open Baton EMS. */
async function markExecutable(dir: string): Promise<void> {
  await addExecBits(dir, SCRIPT_MODE);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    await addExecBits(path, (await stat(path)).mode);
  }
}

/**
 * Clones `url` into `dir` with `git clone -- <url> <temp>` (execa, no shell) beside `dir`, then
 * swaps the clone in, so an existing non-empty script directory is replaced rather than making
 * git fail. Never rejects for git failures: they become a non-zero `status` (git's own, 124 on
 * timeout, 127 when git is missing) with `err`.
 */
export async function cloneInto(options: CloneOptions): Promise<CloneResult> {
  const checked = checkGitUrl(options.url);
  if (!checked.ok) return { status: 1, err: checked.reason };
  const parent = dirname(options.dir);
  await mkdir(parent, { recursive: true, mode: SCRIPT_MODE });
  const temp = join(parent, `.${basename(options.dir)}.vnfkit-clone-${randomBytes(4).toString('hex')}`);
  try {
    // execa is loaded on first clone only: it is the heaviest dependency and most agents never clone.
    const { execa } = await loadExeca();
    const subprocess = execa('git', ['clone', '--quiet', '--', checked.value, temp], {
      reject: false,
      // Own process group: a timeout kills git and its helpers (remote-https, ssh) together.
      detached: true,
      stdin: 'ignore',
      env: {
        ...options.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_ALLOW_PROTOCOL,
        GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
        LC_ALL: 'C',
      },
      extendEnv: false,
    });
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = (): void => {
      const pid = subprocess.pid;
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs),
    );
    options.signal?.addEventListener('abort', stop, { once: true });
    const result = await subprocess;
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    if (timedOut) {
      return { status: 124, err: `git clone of ${redactGitUrl(options.url)} timed out after ${options.timeoutMs / 1000} s\n${String(result.stderr)}` };
    }
    if (result.failed) {
      if (result.exitCode === undefined) {
        const code = errorCode(result.cause) ?? result.shortMessage;
        return { status: code === 'ENOENT' ? 127 : 1, err: `cannot run git: ${code}` };
      }
      return { status: result.exitCode, err: String(result.stderr) || `git clone failed with status ${result.exitCode}` };
    }
    await swapIn(temp, options.dir);
    await markExecutable(options.dir);
    return { status: 0, err: String(result.stderr) };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
