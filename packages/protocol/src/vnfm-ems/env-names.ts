/**
 * Environment variable names a VNFM may not set for a lifecycle script (issue #15: "the environment
 * must not become code").
 *
 * Every `EXECUTE` runs as root under `/bin/bash` (or a `.py` file's interpreter), and the Generic VNFM
 * turns descriptor keys (VNFD `configurations` and `provides`, dependency parameters `<type>_<key>`,
 * network names) into variable names. A name is refused when a program the script runs — bash itself,
 * the dynamic loader and glibc, an interpreter, a common tool — reads it as code, as a place to load
 * code or configuration from, or as the place where commands are looked up. Then the *value*, which is
 * data (a launch-time configuration value, another VNF's address), would decide what runs.
 *
 * Names are case-sensitive, as the programs reading them are: `path` or `ld_preload` are ordinary
 * variables. Upper-case names in general are fine (`MYSQL_ROOT_PASSWORD`, `PORT`).
 *
 * This module has no dependencies, so the EMS agent can bundle it without loading the schemas.
 */

/** How a rule matches a name. */
type Match = 'exact' | 'prefix' | 'contains';

/** One group of refused names and why they are refused. */
export interface RefusedEnvRule {
  match: Match;
  /** The names, prefixes (`LD_`) or substrings (`%%`) of the group. */
  names: readonly string[];
  /** Why: completes "… is refused: <why>". */
  why: string;
}

/**
 * The refused names, grouped by reason. The same list is documented in docs/ems.md
 * ("Environment of a script"); keep both in step.
 */
const RULES: RefusedEnvRule[] = [
  {
    match: 'exact',
    names: ['BASH_ENV', 'ENV'],
    why: 'bash (sh: ENV) expands it and runs the file it names before the script starts',
  },
  {
    match: 'prefix',
    names: ['BASH_FUNC_'],
    why: 'bash imports it as a shell function that replaces a command of the script',
  },
  {
    match: 'contains',
    names: ['%%'],
    why: 'bash imports names ending in %% as shell functions (BASH_FUNC_<name>%%)',
  },
  {
    match: 'prefix',
    names: ['BASH_'],
    why: "bash's own variables (BASH_XTRACEFD, BASH_LOADABLES_PATH, BASH_COMPAT, …) change how bash runs the script",
  },
  {
    match: 'exact',
    names: ['SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND'],
    why: 'bash turns on shell options from it at start (xtrace expands PS4, running any $(…) in it)',
  },
  {
    match: 'exact',
    names: ['IFS', 'CDPATH', 'GLOBIGNORE', 'EXECIGNORE'],
    why: 'it changes how bash splits words, resolves cd, expands globs or finds commands',
  },
  {
    match: 'exact',
    names: ['PATH'],
    why: 'it decides which program every command name of the script runs',
  },
  {
    match: 'exact',
    names: ['HOME'],
    why: 'programs read their start-up and configuration files from it (git config, Python user site, ssh config, …)',
  },
  {
    match: 'prefix',
    names: ['LD_'],
    why: 'the dynamic loader loads libraries or audit modules named by it into every program (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, …)',
  },
  {
    match: 'exact',
    names: [
      'GLIBC_TUNABLES',
      'GCONV_PATH',
      'GETCONF_DIR',
      'HOSTALIASES',
      'LOCALDOMAIN',
      'LOCPATH',
      'MALLOC_TRACE',
      'NIS_PATH',
      'NLSPATH',
      'RESOLV_HOST_CONF',
      'RES_OPTIONS',
      'TMPDIR',
      'TZDIR',
    ],
    why: 'glibc strips it for setuid programs (unsecvars.h): it makes the C library load modules or read and write files it names',
  },
  {
    match: 'exact',
    names: ['NODE_OPTIONS', 'NODE_PATH'],
    why: 'Node.js loads code or options from it (NODE_OPTIONS=--require …)',
  },
  {
    match: 'prefix',
    names: ['PYTHON'],
    why: 'Python reads its PYTHON* variables at start (PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, PYTHONBREAKPOINT, …) and loads code from them',
  },
  {
    match: 'exact',
    names: ['PERL5LIB', 'PERL5OPT', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB'],
    why: 'Perl or Ruby loads code or options from it',
  },
  {
    match: 'exact',
    names: ['JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'],
    why: 'every JVM takes options from it (-javaagent loads code)',
  },
  {
    match: 'prefix',
    names: ['GIT_'],
    why: 'git runs commands or reads configuration named by it (GIT_SSH_COMMAND, GIT_CONFIG_*, GIT_EXEC_PATH, …)',
  },
  {
    match: 'exact',
    names: ['SSH_ASKPASS', 'APT_CONFIG', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES'],
    why: 'a tool scripts commonly run (ssh, apt, anything linked to OpenSSL) runs commands or loads modules named by it',
  },
];

/**
 * The refused names, grouped by reason (first matching rule gives the reason). The same list is
 * documented in docs/ems.md ("Environment of a script"); keep both in step.
 */
export const REFUSED_ENV_RULES: readonly Readonly<RefusedEnvRule>[] = Object.freeze(
  RULES.map((rule) => Object.freeze({ ...rule, names: Object.freeze([...rule.names]) })),
);

function matches(rule: RefusedEnvRule, name: string): boolean {
  switch (rule.match) {
    case 'exact':
      return rule.names.includes(name);
    case 'prefix':
      return rule.names.some((prefix) => name.startsWith(prefix));
    case 'contains':
      return rule.names.some((part) => name.includes(part));
  }
}

/** Options of {@link envNameRefusal} and {@link refusedEnvNames}. */
export interface EnvNameOptions {
  /** Names let through although the rule refuses them (exact names, case-sensitive; e.g. the agent's `allow_env`). */
  allow?: Iterable<string>;
}

function allowSet(options: EnvNameOptions | undefined): ReadonlySet<string> {
  return options?.allow === undefined ? new Set() : new Set(options.allow);
}

/**
 * Why a script may not get the environment variable `name` from a VNFM, or `undefined` when it may.
 * The reason names the variable: `environment variable "BASH_ENV" is refused: bash … starts`.
 */
export function envNameRefusal(name: string, options?: EnvNameOptions): string | undefined {
  if (allowSet(options).has(name)) return undefined;
  const rule = REFUSED_ENV_RULES.find((candidate) => matches(candidate, name));
  return rule === undefined ? undefined : `environment variable ${JSON.stringify(name)} is refused: ${rule.why}`;
}

/** True when a VNFM may not set `name` (see {@link envNameRefusal}). */
export function isRefusedEnvName(name: string, options?: EnvNameOptions): boolean {
  return envNameRefusal(name, options) !== undefined;
}

/** The refused names among `names` with their reasons, in input order (duplicates once). */
export function refusedEnvNames(names: Iterable<string>, options?: EnvNameOptions): { name: string; reason: string }[] {
  const allow = allowSet(options);
  const seen = new Set<string>();
  const refused: { name: string; reason: string }[] = [];
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const reason = allow.has(name) ? undefined : envNameRefusal(name);
    if (reason !== undefined) refused.push({ name, reason });
  }
  return refused;
}

/**
 * Parses a comma-separated list of names (`allow_env = PATH, TMPDIR`): trimmed, empty entries
 * dropped. Names are taken literally; no patterns.
 */
export function parseEnvNameList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
