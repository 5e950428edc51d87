import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Options of {@link ScriptLogs}. */
export interface ScriptLogsOptions {
  /** Root directory: `<directory>/<vnfr name>/<hostname>.log` and `<hostname>-error.log`. */
  directory: string;
  /**
   * Size bound of one log file in bytes. When an append makes a file larger, its oldest part is
   * dropped so that about half of the bound remains (plus a marker line).
   * @default 1048576 (1 MiB)
   */
  maxBytesPerFile?: number;
}

/** One finished script, as written to the logs. */
export interface ScriptLogEntry {
  vnfrName: string;
  hostname: string;
  /** The script string as run (name and arguments). */
  script: string;
  /** The script's stdout. */
  output: string;
  /** The script's stderr. */
  err: string;
  /** The exit status; non-zero also writes `err` to the error log. */
  status: number;
}

/** The two logs of one VNFC, as lines (what `LOG_REQUEST` answers). */
export interface ScriptLogLines {
  outputLog: string[];
  errorLog: string[];
}

const SEPARATOR = '\n\n\n~~~~~~~~~~~~~~~~~~~~~~~~~\n#########################\n~~~~~~~~~~~~~~~~~~~~~~~~~\n\n\n';
const TRUNCATED = '[... older log lines dropped to keep this file under its size bound ...]\n';

/** A name as one path component that cannot climb out of its directory. */
function component(name: string): string {
  if (name === '' || name === '.' || name === '..') return encodeURIComponent(name).replace(/\./g, '%2E') || '%00';
  return encodeURIComponent(name);
}

/**
 * The per-VNFR, per-VNFC script logs behind `LOG_REQUEST` (§3.4), laid out like upstream's
 * `<logpath>/<VNFR name>/<hostname>.log` and `<hostname>-error.log`, each file bounded in size.
 *
 * Appends are synchronous: one `open`/`write`/`close` of a few hundred bytes costs a few
 * microseconds of CPU, where `fs/promises` costs ~50–300 µs (thread-pool round trips, dear on a
 * VM) — with one append per script run, that was a visible share of the VNFM's CPU in
 * `pnpm bench`. Being synchronous, appends to one file also never interleave or race a trim; the
 * methods stay async, so a failed write still arrives as a rejection.
 */
export class ScriptLogs {
  readonly directory: string;
  readonly maxBytesPerFile: number;
  /** Directories known to exist (one `mkdir` per VNFR, not per script). */
  readonly #dirs = new Set<string>();
  /** Sizes of the files this instance appended to (one `stat` per file, not per script). */
  readonly #sizes = new Map<string, number>();

  constructor(options: ScriptLogsOptions) {
    this.directory = options.directory;
    this.maxBytesPerFile = options.maxBytesPerFile ?? 1024 * 1024;
  }

  /** The output and error log paths of one VNFC. */
  pathsOf(vnfrName: string, hostname: string): { output: string; error: string } {
    const dir = join(this.directory, component(vnfrName));
    return { output: join(dir, `${component(hostname)}.log`), error: join(dir, `${component(hostname)}-error.log`) };
  }

  /** Appends a finished script's stdout (always) and, when it failed, its stderr to the error log. */
  async append(entry: ScriptLogEntry): Promise<void> {
    const paths = this.pathsOf(entry.vnfrName, entry.hostname);
    this.#write(paths.output, `Output of Script : ${entry.script}\n\n${entry.output}${SEPARATOR}`);
    if (entry.status !== 0) this.#write(paths.error, `Error log of Script : ${entry.script}\n\n${entry.err}${SEPARATOR}`);
  }

  /** Appends a VNFM-side failure (e.g. the agent never answered) to a VNFC's error log. */
  async appendError(options: { vnfrName: string; hostname: string; script: string; message: string }): Promise<void> {
    const paths = this.pathsOf(options.vnfrName, options.hostname);
    this.#write(paths.error, `Error log of Script : ${options.script}\n\n${options.message}${SEPARATOR}`);
  }

  /** The logs of one VNFC as lines; missing files give empty lists. */
  async read(vnfrName: string, hostname: string): Promise<ScriptLogLines> {
    const paths = this.pathsOf(vnfrName, hostname);
    const [outputLog, errorLog] = await Promise.all([readLines(paths.output), readLines(paths.error)]);
    return { outputLog, errorLog };
  }

  /** Deletes every log of a VNFR (after it was terminated). */
  async removeVnfr(vnfrName: string): Promise<void> {
    const dir = join(this.directory, component(vnfrName));
    this.#dirs.delete(dir);
    for (const path of this.#sizes.keys()) if (path.startsWith(`${dir}/`)) this.#sizes.delete(path);
    await rm(dir, { recursive: true, force: true });
  }

  #write(path: string, text: string): void {
    const dir = join(path, '..');
    if (!this.#dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    try {
      appendFileSync(path, text, 'utf8');
    } catch (error) {
      // The directory went away underneath (e.g. removed by hand): create it again once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true });
      this.#sizes.delete(path);
      appendFileSync(path, text, 'utf8');
    }
    const known = this.#sizes.get(path);
    const size = known === undefined ? statSync(path).size : known + Buffer.byteLength(text, 'utf8');
    this.#sizes.set(path, size);
    if (size <= this.maxBytesPerFile) return;
    const content = readFileSync(path);
    const keep = Math.max(0, Math.floor(this.maxBytesPerFile / 2) - TRUNCATED.length);
    let tail = content.subarray(content.length - keep);
    // Start at a line boundary so no line (or UTF-8 sequence) is cut in half.
    const newline = tail.indexOf(0x0a);
    if (newline >= 0) tail = tail.subarray(newline + 1);
    const trimmed = Buffer.concat([Buffer.from(TRUNCATED, 'utf8'), tail]);
    writeFileSync(path, trimmed);
    this.#sizes.set(path, trimmed.length);
  }
}

async function readLines(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
