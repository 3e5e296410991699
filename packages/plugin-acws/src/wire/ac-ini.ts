import ini from 'ini';

/**
 * Assetto Corsa's ini dialect, read with the `ini` package.
 *
 * AC files differ from what `ini` assumes: `;` is data, not an inline comment (`CARS=a;b` is a list),
 * and `#` appears in driver names. So each line is checked here first (a line that is neither a
 * comment, a `[SECTION]` nor `KEY=VALUE` is a syntax error naming its line), and every value is
 * handed to `ini.decode` JSON-quoted, which `ini` reads back verbatim.
 *
 * Writing does not go through `ini.encode`: it would escape `;` and `#` with backslashes that
 * acServer reads literally. `updateAcIni` edits the original text instead, so comments, layout and
 * every key we do not know survive a write.
 */

export type IniSection = Map<string, string>;
export type IniDoc = Map<string, IniSection>;

export class IniSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    why: string,
  ) {
    super(`${file} line ${line}: ${why}`);
    this.name = 'IniSyntaxError';
  }
}

type Line =
  | { kind: 'blank' }
  | { kind: 'section'; name: string }
  | { kind: 'entry'; key: string; value: string };

const SECTION = /^\[([^\]]*)\]$/;

function classify(raw: string, file: string, lineNo: number): Line {
  const line = raw.trim();
  if (line === '' || line.startsWith(';') || line.startsWith('#')) return { kind: 'blank' };
  const section = SECTION.exec(line);
  if (section) {
    const name = section[1]!.trim();
    if (!name) throw new IniSyntaxError(file, lineNo, 'empty section name "[]"');
    return { kind: 'section', name };
  }
  if (line.startsWith('[')) throw new IniSyntaxError(file, lineNo, `malformed section header ${JSON.stringify(clip(line))}`);
  const eq = line.indexOf('=');
  if (eq <= 0) throw new IniSyntaxError(file, lineNo, `expected KEY=VALUE or [SECTION], got ${JSON.stringify(clip(line))}`);
  return { kind: 'entry', key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() };
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function splitLines(text: string): string[] {
  return stripBom(text).split(/\r?\n/);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const escapeKey = (k: string) => k.replace(/[\\;#]/g, (c) => `\\${c}`);
// `ini` nests sections on dots unless escaped.
const escapeSection = (s: string) => s.replace(/[.;#]/g, (c) => `\\${c}`);

/** Parses an AC ini file. Keys are case-sensitive; the last of duplicate keys wins (as acServer reads them). */
export function parseAcIni(text: string, file = 'ini'): IniDoc {
  if (text.includes('\u0000')) throw new IniSyntaxError(file, 1, 'binary data (NUL bytes) in a text file');
  const normalized: string[] = [];
  let inSection = false;
  splitLines(text).forEach((raw, i) => {
    const line = classify(raw, file, i + 1);
    if (line.kind === 'section') {
      inSection = true;
      normalized.push(`[${escapeSection(line.name)}]`);
    } else if (line.kind === 'entry') {
      if (!inSection) throw new IniSyntaxError(file, i + 1, `${JSON.stringify(clip(line.key))} appears before any [SECTION]`);
      normalized.push(`${escapeKey(line.key)}=${JSON.stringify(line.value)}`);
    }
  });
  // Every top-level entry is a section object (no key comes before a section); `ini` turns the
  // values true/false/null into JSON, hence String().
  const decoded = ini.decode(normalized.join('\n')) as Record<string, Record<string, unknown>>;
  return new Map(Object.entries(decoded).map(([name, body]) => [name, new Map(Object.entries(body).map(([k, v]) => [k, String(v)]))]));
}

export function cloneDoc(doc: IniDoc): IniDoc {
  return new Map([...doc].map(([name, s]) => [name, new Map(s)]));
}

/** A value as written: control characters (a driver name with a line break) must not start a new line. */
function clean(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

function eolOf(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n';
}

function entryLine(key: string, value: string): string {
  return `${key}=${clean(value)}`;
}

function sectionLines(name: string, section: IniSection): string[] {
  return [`[${name}]`, ...[...section].map(([k, v]) => entryLine(k, v))];
}

/** Renders a document from scratch: `[SECTION]`, `KEY=VALUE` lines, a blank line between sections. */
export function renderAcIni(doc: IniDoc, eol = '\n'): string {
  return [...doc].flatMap(([name, section]) => [...sectionLines(name, section), '']).join(eol);
}

/**
 * Writes `doc` over the text it was read from, keeping comments, blank lines, the order of keys
 * and the spelling of unchanged lines. Keys and sections missing from `doc` are removed; new keys
 * go after the last key of their section, new sections at the end.
 */
export function updateAcIni(original: string, doc: IniDoc, file = 'ini'): string {
  const eol = eolOf(original);
  const lines = splitLines(original);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  const seenSections = new Set<string>();
  const written = new Set<string>();
  let current: string | undefined;
  let keep = true;
  let insertAt = -1;

  // A section is closed once: a repeat of it in the file is dropped (keep = false below).
  const closeSection = () => {
    if (current === undefined || !keep) return;
    const added = [...doc.get(current)!].filter(([k]) => !written.has(`${current}\u0000${k}`)).map(([k, v]) => entryLine(k, v));
    out.splice(insertAt + 1, 0, ...added);
  };

  lines.forEach((raw, i) => {
    const line = classify(raw, file, i + 1);
    if (line.kind === 'section') {
      closeSection();
      current = line.name;
      // A section repeated in the file is one section: its keys were merged on read.
      keep = doc.has(line.name) && !seenSections.has(line.name);
      seenSections.add(line.name);
      if (keep) {
        out.push(raw);
        insertAt = out.length - 1;
      }
      return;
    }
    if (line.kind === 'blank') {
      // Before the first section `keep` is still true: a leading comment stays.
      if (keep) out.push(raw);
      return;
    }
    if (!keep || current === undefined) return;
    const id = `${current}\u0000${line.key}`;
    const section = doc.get(current)!;
    if (!section.has(line.key) || written.has(id)) return;
    written.add(id);
    const value = clean(section.get(line.key)!);
    out.push(value === line.value ? raw : entryLine(line.key, value));
    insertAt = out.length - 1;
  });
  closeSection();
  for (const [name, section] of doc) {
    if (seenSections.has(name)) continue;
    if (out.length > 0 && out[out.length - 1]!.trim() !== '') out.push('');
    out.push(...sectionLines(name, section));
  }
  return out.join(eol) + eol;
}
