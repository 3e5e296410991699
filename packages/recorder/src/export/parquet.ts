import { fileWriter, parquetWriteRows, type BasicType } from 'hyparquet-writer';
import type { ColumnKind, Row } from './table.js';

const TYPES: Record<ColumnKind, BasicType> = { int: 'INT32', number: 'DOUBLE', boolean: 'BOOLEAN', string: 'STRING', json: 'JSON' };

/**
 * Writes rows to a Parquet file (snappy, row groups of 100,000): `ts` as a millisecond timestamp,
 * the other columns typed by `kinds`; every column nullable. Memory stays within a row group.
 */
export async function writeParquet(file: string, kinds: Map<string, ColumnKind>, rows: AsyncIterable<Row>, metadata: Record<string, string>): Promise<number> {
  let n = 0;
  const names = [...kinds.keys()];
  async function* typed(): AsyncGenerator<Record<string, unknown>> {
    for await (const row of rows) {
      n++;
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const v = row[name];
        const kind = kinds.get(name)!;
        if (v === null || v === undefined) out[name] = null;
        else if (name === 'ts') out[name] = new Date(Number(v));
        // A text column that also saw arrays holds them as JSON text; a JSON column gets the value (the writer serializes it).
        else if (kind === 'string') out[name] = typeof v === 'string' ? v : JSON.stringify(v);
        else out[name] = v;
      }
      yield out;
    }
  }
  await parquetWriteRows({
    writer: fileWriter(file),
    rows: typed(),
    columns: names.map((name) => ({ name, type: name === 'ts' ? 'TIMESTAMP' : TYPES[kinds.get(name)!], nullable: true })),
    rowGroupSize: 100_000,
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'acgateway export',
  });
  return n;
}
