#!/usr/bin/env node
// The core's size budget (issue: "packages/core/src under 3,000 lines, the page's files aside, no
// file over 300"). Lines of code as cloc counts them: blank lines and comment-only lines (`//`,
// `/* ... */`, doc comments) are not code, so documenting the core costs nothing. Files are capped
// on their whole length. `node scripts/core-size.mjs` prints the table; `--check` exits 1 over budget.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_BUDGET = 3000;
export const FILE_BUDGET = 300;
/** The server side of the live page (its own files are in packages/core/web/). */
export const PAGE_FILES = ['web.ts'];

const src = path.resolve(fileURLToPath(import.meta.url), '../../packages/core/src');

/** { lines, code } of one TypeScript source. */
export function count(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let code = 0;
  let inComment = false;
  for (const raw of lines) {
    let s = raw.trim();
    if (!inComment && s.startsWith('/*')) {
      inComment = true;
      s = s.slice(2);
    }
    if (inComment) {
      // Only what follows the comment's end, if it ends on this line, can be code.
      const end = s.indexOf('*/');
      if (end < 0) continue;
      inComment = false;
      s = s.slice(end + 2).trim();
    }
    if (s !== '' && !s.startsWith('//')) code++;
  }
  return { lines: lines.length, code };
}

export function measure(dir = src) {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push({ file: path.relative(dir, p).split(path.sep).join('/'), ...count(readFileSync(p, 'utf8')) });
    }
  };
  walk(dir);
  files.sort((a, b) => b.code - a.code);
  const counted = files.filter((f) => !PAGE_FILES.includes(f.file));
  const code = counted.reduce((n, f) => n + f.code, 0);
  const lines = counted.reduce((n, f) => n + f.lines, 0);
  const tooLong = files.filter((f) => f.lines > FILE_BUDGET);
  return { files, code, lines, tooLong, ok: code < CODE_BUDGET && tooLong.length === 0 };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const m = measure();
  for (const f of m.files) console.log(`${String(f.code).padStart(5)} ${String(f.lines).padStart(5)}  ${f.file}${PAGE_FILES.includes(f.file) ? '  (the page, not counted)' : ''}`);
  console.log(`packages/core/src: ${m.code} lines of code (${m.lines} with comments and blank lines), budget < ${CODE_BUDGET}: ${m.code < CODE_BUDGET ? 'met' : 'NOT met'}`);
  console.log(`largest file: ${m.files.reduce((a, b) => (b.lines > a.lines ? b : a)).lines} lines, budget <= ${FILE_BUDGET}: ${m.tooLong.length ? `NOT met (${m.tooLong.map((f) => f.file).join(', ')})` : 'met'}`);
  if (process.argv.includes('--check') && !m.ok) process.exitCode = 1;
}
