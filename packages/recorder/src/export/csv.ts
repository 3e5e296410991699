import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Cell, Row } from './table.js';

/** One CSV cell (RFC 4180): empty for null, an array as JSON text, quoted when it holds a comma, quote or line break. */
export function csvCell(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows with these columns to a CSV file (header first); a row's missing cells are empty. */
export async function writeCsv(file: string, columns: string[], rows: AsyncIterable<Row> | Iterable<Row>): Promise<number> {
  const out = createWriteStream(file);
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => {});
  let n = 0;
  const write = async (line: string) => {
    if (!out.write(line)) await Promise.race([once(out, 'drain'), failed]);
  };
  await write(columns.map(csvCell).join(',') + '\r\n');
  for await (const row of rows) {
    await write(columns.map((c) => csvCell(row[c])).join(',') + '\r\n');
    n++;
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return n;
}
