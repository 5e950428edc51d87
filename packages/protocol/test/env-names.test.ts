import { describe, expect, it } from 'vitest';
import { REFUSED_ENV_RULES, envNameRefusal, isRefusedEnvName, parseEnvNameList, refusedEnvNames, sanitizeEnvName } from '../src/index.js';

describe('refused environment variable names (issue #15)', () => {
  it.each([
    // bash runs code from these
    'BASH_ENV',
    'ENV',
    'BASH_FUNC_echo%%',
    'BASH_FUNC_ls()',
    'echo%%',
    'BASH_XTRACEFD',
    'BASH_LOADABLES_PATH',
    'SHELLOPTS',
    'BASHOPTS',
    'PS4',
    'PROMPT_COMMAND',
    'IFS',
    'CDPATH',
    'GLOBIGNORE',
    'EXECIGNORE',
    // command lookup and dotfiles
    'PATH',
    'HOME',
    // loader and glibc's unsecvars
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'LD_AUDIT',
    'LD_ANYTHING',
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
    // interpreters
    'NODE_OPTIONS',
    'NODE_PATH',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'PYTHONHOME',
    'PYTHONBREAKPOINT',
    'PYTHONWARNINGS',
    'PERL5LIB',
    'PERL5OPT',
    'PERLLIB',
    'PERL5DB',
    'RUBYOPT',
    'RUBYLIB',
    'JAVA_TOOL_OPTIONS',
    '_JAVA_OPTIONS',
    'JDK_JAVA_OPTIONS',
    // tools
    'GIT_SSH_COMMAND',
    'GIT_CONFIG_COUNT',
    'GIT_EXEC_PATH',
    'SSH_ASKPASS',
    'APT_CONFIG',
    'OPENSSL_CONF',
    'OPENSSL_ENGINES',
    'OPENSSL_MODULES',
  ])('refuses %s with a reason naming it', (name) => {
    const reason = envNameRefusal(name);
    expect(reason).toBeDefined();
    expect(reason).toContain(JSON.stringify(name));
    expect(reason).toMatch(/is refused: \S/);
    expect(isRefusedEnvName(name)).toBe(true);
  });

  it.each([
    // what Open Baton scripts legitimately receive
    'hostname',
    'private',
    'private_floatingIp',
    'mgmt',
    'server_private',
    'server_hostname',
    'removing_hostname',
    'cause',
    '1net',
    // upper-case configuration keys are common and fine
    'MYSQL_ROOT_PASSWORD',
    'PORT',
    'DB_HOST',
    'LANG',
    'TZ',
    'MALLOC_ARENA_MAX',
    'USER',
    'SCRIPTS_PATH',
    // case matters: programs read the exact upper-case names only
    'path',
    'ld_preload',
    'bash_env',
    'Home',
    'pythonpath',
    // near misses
    'MY_PATH',
    'XLD_PRELOAD',
    'OLD_HOME',
    'ENVIRONMENT',
    'BASH',
    'NODE',
    'GIT',
    '%',
    'a%b',
  ])('lets %s through', (name) => {
    expect(envNameRefusal(name)).toBeUndefined();
    expect(isRefusedEnvName(name)).toBe(false);
  });

  it('gives the most specific reason', () => {
    expect(envNameRefusal('BASH_ENV')).toMatch(/runs the file it names/);
    expect(envNameRefusal('BASH_FUNC_echo%%')).toMatch(/shell function/);
    expect(envNameRefusal('TMPDIR')).toMatch(/unsecvars/);
  });

  it('lets exactly the allowed names through', () => {
    expect(envNameRefusal('PATH', { allow: ['PATH'] })).toBeUndefined();
    expect(envNameRefusal('LD_PRELOAD', { allow: ['PATH'] })).toBeDefined();
    // exact names only: no patterns, no case folding
    expect(envNameRefusal('LD_PRELOAD', { allow: ['LD_*'] })).toBeDefined();
    expect(envNameRefusal('PATH', { allow: ['path'] })).toBeDefined();
  });

  it('lists the refused names of a set once each, in order, with reasons', () => {
    const refused = refusedEnvNames(['hostname', 'PATH', 'BASH_ENV', 'PATH', 'server_private', 'NODE_OPTIONS'], {
      allow: ['NODE_OPTIONS'],
    });
    expect(refused.map((r) => r.name)).toEqual(['PATH', 'BASH_ENV']);
    for (const { name, reason } of refused) expect(reason).toContain(`"${name}"`);
  });

  it('catches names the Generic VNFM forms from descriptor keys', () => {
    // configuration keys and dependency parameters are sanitised ([^A-Za-z0-9_] → _) before use
    // so the check applies to the formed name: `BASH-ENV` becomes BASH_ENV
    expect(isRefusedEnvName('BASH-ENV')).toBe(false);
    expect(isRefusedEnvName(sanitizeEnvName('BASH-ENV'))).toBe(true);
    expect(isRefusedEnvName(sanitizeEnvName(`${'LD'}_${'PRELOAD'}`))).toBe(true);
    expect(isRefusedEnvName(sanitizeEnvName('LD.PRELOAD'))).toBe(true);
  });

  it('parses a comma-separated allow list', () => {
    expect(parseEnvNameList(' PATH, TMPDIR ,,')).toEqual(['PATH', 'TMPDIR']);
    expect(parseEnvNameList('')).toEqual([]);
    expect(parseEnvNameList(undefined)).toEqual([]);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(REFUSED_ENV_RULES)).toBe(true);
    expect(Object.isFrozen(REFUSED_ENV_RULES[0]?.names)).toBe(true);
  });
});
