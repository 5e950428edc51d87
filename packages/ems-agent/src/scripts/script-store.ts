import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { DEFAULT_SCRIPTS_PATH } from '@vnfkit/protocol';

/**
 * Mode of the scripts the agent writes: executable, and only for root (the agent and the scripts
 * run as root; nobody else needs to read, let alone change, what runs as root).
 */
export const SCRIPT_MODE = 0o700;
/** Mode of data files the agent writes (`ob_parameters.*`: dependency values, possibly passwords). */
export const DATA_MODE = 0o600;
/** Mode of a script directory the agent creates (its parents get 0755). */
export const SCRIPT_DIR_MODE = 0o700;
/** Prefix of the agent's temporary files; they never appear in listings. */
export const TEMP_PREFIX = '.vnfkit-tmp-';

/** Either a value or a human-readable reason it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function refuse<T>(reason: string): Checked<T> {
  return { ok: false, reason };
}

/** True when `child` is `parent` itself or lies below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Validates a file name sent with SAVE_SCRIPTS / SCRIPTS_UPDATE and returns its absolute path.
 * Refused: empty, `/`, `\`, `..`, NUL, a leading `.`, longer than 255 bytes, or anything that
 * would resolve outside `dir`.
 */
export function scriptFilePath(dir: string, name: string): Checked<string> {
  const shown = JSON.stringify(name);
  if (name.length === 0) return refuse('script name is empty');
  if (name.includes('\0')) return refuse(`script name ${shown} contains a NUL byte`);
  if (name.includes('/') || name.includes('\\')) return refuse(`script name ${shown} contains a path separator`);
  if (name.includes('..')) return refuse(`script name ${shown} contains ".."`);
  if (name.startsWith('.')) return refuse(`script name ${shown} starts with "."`);
  if (Buffer.byteLength(name) > 255) return refuse(`script name ${shown} is longer than 255 bytes`);
  const path = resolve(dir, name);
  if (!isInside(dir, path) || path === resolve(dir)) return refuse(`script name ${shown} resolves outside ${dir}`);
  return { ok: true, value: path };
}

/**
 * Resolves the script an EXECUTE names (relative to `dir`; sub-directories of a cloned repository
 * are allowed). Refused: empty, absolute, NUL, `\`, any `..` segment, or a path outside `dir`.
 */
export function executableScriptPath(dir: string, script: string): Checked<string> {
  const shown = JSON.stringify(script);
  if (script.length === 0) return refuse('no script named in the payload');
  if (script.includes('\0')) return refuse(`script ${shown} contains a NUL byte`);
  if (script.includes('\\')) return refuse(`script ${shown} contains a backslash`);
  if (isAbsolute(script)) return refuse(`script ${shown} is an absolute path; scripts are run from ${dir} only`);
  if (script.split('/').includes('..')) return refuse(`script ${shown} contains ".."`);
  const path = resolve(dir, script);
  if (!isInside(dir, path) || path === resolve(dir)) return refuse(`script ${shown} resolves outside ${dir}`);
  return { ok: true, value: path };
}

/** Options of {@link resolveScriptDir}. */
export interface ScriptDirPolicy {
  /** The configured script directory (absolute). */
  scriptsDir: string;
  /** Honour any absolute `script-path`. */
  allowOverride: boolean;
}

function canonical(path: string): string {
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith(sep) ? normal.slice(0, -1) : normal;
}

/**
 * Maps a command's `script-path` to the directory the agent uses: missing → the configured
 * directory; the configured directory or Open Baton's default `/opt/openbaton/scripts` → the
 * configured directory; anything else only with `allowOverride` (and only absolute paths).
 */
export function resolveScriptDir(requested: string | undefined, policy: ScriptDirPolicy): Checked<string> {
  const configured = canonical(policy.scriptsDir);
  if (requested === undefined || requested.trim() === '') return { ok: true, value: configured };
  if (requested.includes('\0')) return refuse('script-path contains a NUL byte');
  if (!isAbsolute(requested)) return refuse(`script-path ${JSON.stringify(requested)} is not an absolute path`);
  const wanted = canonical(requested);
  if (wanted === configured || wanted === canonical(DEFAULT_SCRIPTS_PATH)) return { ok: true, value: configured };
  if (policy.allowOverride) return { ok: true, value: wanted };
  return refuse(
    `script-path ${JSON.stringify(requested)} refused: this agent's script directory is ${configured} ` +
      '(set allow_script_path_override=true to allow other directories)',
  );
}

/** Creates the script directory when missing: mode 0700, missing parents 0755. An existing directory keeps its mode. */
export function ensureScriptDir(dir: string): void {
  mkdirSync(dirname(resolve(dir)), { recursive: true, mode: 0o755 });
  try {
    mkdirSync(dir, { mode: SCRIPT_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Limits of the script directory (`max_scripts`, `max_scripts_bytes`). */
export interface ScriptStoreLimits {
  maxScripts: number;
  maxScriptsBytes: number;
}

/**
 * Checks that writing `files` (names and sizes) into `dir` keeps it within `limits` (counting its top-level
 * entries and the sizes of its regular files, the replaced files excluded).
 * Synchronous like the write that follows (one `lstat` per file; at most `max_scripts` of them).
 */
export function checkStoreLimits(
  input: { dir: string; files: readonly { name: string; bytes: number }[] },
  limits: ScriptStoreLimits,
): Checked<void> {
  const { dir, files } = input;
  let names: string[];
  try {
    names = listScripts(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw error;
  }
  const written = new Set(files.map((f) => f.name));
  const count = names.length + [...written].filter((name) => !names.includes(name)).length;
  if (count > limits.maxScripts) {
    return refuse(`the script directory would hold ${count} files, above max_scripts (${limits.maxScripts})`);
  }
  // A name sent twice in one bundle: the last copy is the one kept.
  const sizes = new Map(files.map((f) => [f.name, f.bytes]));
  let total = [...sizes.values()].reduce((sum, bytes) => sum + bytes, 0);
  for (const entry of names) {
    if (written.has(entry)) continue;
    try {
      const stats = lstatSync(join(dir, entry));
      if (stats.isFile()) total += stats.size;
    } catch {
      // Removed meanwhile: counts as nothing.
    }
  }
  if (total > limits.maxScriptsBytes) {
    return refuse(`the script directory would hold ${total} bytes, above max_scripts_bytes (${limits.maxScriptsBytes})`);
  }
  return { ok: true, value: undefined };
}

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it (`mode`, default 0700, fsynced) is
 * renamed over the target, so readers see the old or the new file, never a half-written one,
 * and a symlink at `path` is replaced rather than followed.
 *
 * Synchronous on purpose, like the other file operations of a command: the agent runs one command
 * at a time, so nothing waits on its event loop meanwhile, and a synchronous call costs a few
 * microseconds of CPU where a thread-pool round trip costs ~50 µs (two cross-thread wake-ups,
 * dear on a VM; see docs/performance.md).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string, mode = SCRIPT_MODE): void {
  const dir = resolve(path, '..');
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, 'wx', mode);
  try {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    for (let offset = 0; offset < data.byteLength;) offset += writeSync(fd, data, offset, data.byteLength - offset);
    fchmodSync(fd, mode); // the umask may have narrowed the mode given to open()
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Sorted names in the script directory, without the agent's temporary files. */
export function listScripts(dir: string): string[] {
  const names = readdirSync(dir);
  return names.filter((name) => !name.startsWith(TEMP_PREFIX)).sort();
}

/** Adds the executable bits to a file or directory (as Open Baton's EMS does after saving/cloning). */
export async function addExecBits(path: string, currentMode: number): Promise<void> {
  await chmod(path, (currentMode & 0o7777) | 0o111);
}

function pythonString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(new RegExp(quote, 'g'), `\\${quote}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `${quote}${escaped}${quote}`;
}

/**
 * Formats a listing the way Open Baton's EMS replies to SAVE_SCRIPTS/CLONE_SCRIPTS (Python's
 * `str()` of a list, e.g. `['install.sh', 'start.sh']`); vnfkit sorts the names.
 */
export function formatListing(names: readonly string[]): string {
  return `[${names.map(pythonString).join(', ')}]`;
}
