import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Checked } from './script-store.js';
import { loadExeca } from '../internal/lazy-modules.js';
import { killGroup } from '../internal/process-group.js';
import { redactUrl } from '../internal/redact.js';
import { addExecBits, SCRIPT_DIR_MODE } from './script-store.js';

/** Milliseconds between SIGTERM and SIGKILL when a clone is stopped. */
const KILL_GRACE_MS = 2_000;

/** Every URL scheme `CLONE_SCRIPTS` can be allowed to use (`allow_git_protocols`); scp-style `user@host:path` is ssh. */
export const ALLOWED_GIT_SCHEMES: readonly string[] = Object.freeze(['https', 'ssh', 'http', 'git']);
/**
 * The schemes allowed by default: the authenticated, encrypted ones. `http://` and `git://` fetch
 * scripts that run as root in plaintext (and `http://169.254.169.254/` reaches the cloud metadata
 * service), so they need `allow_git_protocols`.
 */
export const DEFAULT_GIT_PROTOCOLS: readonly string[] = Object.freeze(['https', 'ssh']);

const SCP_STYLE = /^(?:[A-Za-z0-9._~+-]+@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!\/\/)\S+$/;

/** The URL with any password (or http(s) token) replaced by `***`, for messages and logs. */
export function redactGitUrl(url: string): string {
  return redactUrl(url);
}

/**
 * The URL git records as `remote.origin.url` after a clone: without the credentials of
 * `https://user:token@host/…` (the whole user info for http(s), where the user name may be the
 * token; the password only for other schemes), so no token stays in `.git/config` at rest.
 */
export function storedGitUrl(url: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (!scheme) return url; // scp-style: `user@host:path` carries no password
  const rest = url.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const user = authority.slice(0, at).split(':')[0] ?? '';
  const name = (scheme[1] ?? '').toLowerCase();
  const kept = name === 'http' || name === 'https' || user === '' ? '' : `${user}@`;
  return `${scheme[0]}${kept}${rest.slice(at + 1)}`;
}

/**
 * Checks a `CLONE_SCRIPTS` URL: only the schemes in `allowed` (of `https`, `ssh`, `http`, `git`;
 * default https and ssh) and, with ssh, scp-style `user@host:path` are accepted. Always refused:
 * `file://`, local paths, `ext::` and other transports, option-looking values (`--upload-pack=…`),
 * whitespace and control characters.
 */
export function checkGitUrl(url: string, allowed: readonly string[] = DEFAULT_GIT_PROTOCOLS): Checked<string> {
  const shown = JSON.stringify(redactGitUrl(url));
  if (url.length === 0) return { ok: false, reason: 'git URL is empty' };
  if (url.length > 2048) return { ok: false, reason: 'git URL is longer than 2048 characters' };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return { ok: false, reason: `git URL ${shown} contains whitespace or control characters` };
  if (url.startsWith('-')) return { ok: false, reason: `git URL ${shown} looks like an option` };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    if (!ALLOWED_GIT_SCHEMES.includes(name) || !allowed.includes(name)) {
      const hint = ALLOWED_GIT_SCHEMES.includes(name) ? `; add "${name}" to allow_git_protocols to allow it` : '';
      return { ok: false, reason: `git URL scheme "${name}://" is not allowed (allowed: ${describeAllowed(allowed)})${hint}` };
    }
    const rest = url.slice(scheme[0].length);
    if (rest.length === 0 || rest.startsWith('/') || rest.startsWith('-')) return { ok: false, reason: `git URL ${shown} has no host` };
    return { ok: true, value: url };
  }
  if (url.includes('::')) return { ok: false, reason: `git URL ${shown} uses a git transport helper ("::"), which is not allowed` };
  if (SCP_STYLE.test(url)) {
    if (allowed.includes('ssh')) return { ok: true, value: url };
    return {
      ok: false,
      reason: `git URL ${shown} is an ssh (user@host:path) URL, which is not allowed (allowed: ${describeAllowed(allowed)})`,
    };
  }
  return { ok: false, reason: `git URL ${shown} is not a ${describeAllowed(allowed)} URL` };
}

function describeAllowed(allowed: readonly string[]): string {
  const schemes = ALLOWED_GIT_SCHEMES.filter((scheme) => allowed.includes(scheme)).map((scheme) => `${scheme}://`);
  if (allowed.includes('ssh')) schemes.push('user@host:path');
  return schemes.length > 0 ? schemes.join(', ') : 'none';
}

/** Options of {@link cloneInto}. */
export interface CloneOptions {
  /** Repository URL; must pass {@link checkGitUrl}. */
  url: string;
  /** Schemes allowed (`allow_git_protocols`). @default DEFAULT_GIT_PROTOCOLS */
  allowedProtocols?: readonly string[];
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

/**
 * Makes the directory root-only (0700: it holds what runs as root, and `.git`) and adds the
 * executable bits to every top-level regular file, like the Open Baton EMS.
 */
async function markExecutable(dir: string): Promise<void> {
  await chmod(dir, SCRIPT_DIR_MODE);
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
  const allowed = options.allowedProtocols ?? DEFAULT_GIT_PROTOCOLS;
  const checked = checkGitUrl(options.url, allowed);
  if (!checked.ok) return { status: 1, err: checked.reason };
  const parent = dirname(options.dir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const temp = join(parent, `.${basename(options.dir)}.vnfkit-clone-${randomBytes(4).toString('hex')}`);
  // Root-only from the start: git writes the URL (with any token) into temp/.git/config before it is stripped.
  await mkdir(temp, { mode: SCRIPT_DIR_MODE });
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
        // Also covers submodules and redirects. scp-style URLs are ssh.
        GIT_ALLOW_PROTOCOL: allowed.join(':'),
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
      return {
        status: 124,
        err: `git clone of ${redactGitUrl(options.url)} timed out after ${options.timeoutMs / 1000} s\n${String(result.stderr)}`,
      };
    }
    if (result.failed) {
      if (result.exitCode === undefined) {
        const code = errorCode(result.cause) ?? result.shortMessage;
        return { status: code === 'ENOENT' ? 127 : 1, err: `cannot run git: ${code}` };
      }
      return { status: result.exitCode, err: String(result.stderr) || `git clone failed with status ${result.exitCode}` };
    }
    const stored = storedGitUrl(checked.value);
    if (stored !== checked.value) {
      const set = await execa('git', ['-C', temp, 'config', 'remote.origin.url', stored], {
        reject: false,
        stdin: 'ignore',
        env: { ...options.env, LC_ALL: 'C' },
        extendEnv: false,
      });
      if (set.failed)
        return { status: 1, err: `cannot remove the credentials from the cloned repository's remote URL: ${String(set.stderr)}` };
    }
    await swapIn(temp, options.dir);
    await markExecutable(options.dir);
    return { status: 0, err: String(result.stderr) };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
