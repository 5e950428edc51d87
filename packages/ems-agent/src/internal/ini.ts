/**
 * A small INI reader with the subset of Python ConfigParser syntax the Open Baton EMS files use:
 * `[section]` headers, `key = value` or `key: value`, full-line `#`/`;` comments, keys folded to
 * lower case, values trimmed. Indented lines continue the previous value (ConfigParser rule).
 */

/** Parsed INI: section name → key → raw string value. Keys before any header go to `''`. */
export type IniDocument = Record<string, Record<string, string>>;

/** Syntax problem found while reading an INI text (1-based line number). */
export interface IniProblem {
  line: number;
  message: string;
}

/** Result of {@link parseIni}. */
export interface IniParseResult {
  sections: IniDocument;
  problems: IniProblem[];
}

/** Parses INI text; never throws, reports malformed lines in `problems`. */
export function parseIni(text: string): IniParseResult {
  const sections: IniDocument = Object.create(null) as IniDocument;
  const problems: IniProblem[] = [];
  let current = '';
  let lastKey: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      if (trimmed === '') lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && lastKey !== undefined) {
      const section = sections[current];
      if (section) section[lastKey] = `${section[lastKey] ?? ''}\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      current = (header[1] ?? '').trim();
      sections[current] ??= Object.create(null) as Record<string, string>;
      lastKey = undefined;
      return;
    }
    const separator = trimmed.search(/[=:]/);
    if (separator <= 0) {
      problems.push({ line: lineNo, message: `expected "key = value", got ${JSON.stringify(trimmed)}` });
      lastKey = undefined;
      return;
    }
    const key = trimmed.slice(0, separator).trim().toLowerCase();
    const value = trimmed.slice(separator + 1).trim();
    const section = (sections[current] ??= Object.create(null) as Record<string, string>);
    section[key] = value;
    lastKey = key;
  });
  return { sections, problems };
}
