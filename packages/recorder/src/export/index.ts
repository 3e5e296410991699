import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { replaceWithBackup } from '@acgateway/atomic-file';
import { compilePattern, type TopicSpec } from '@acgateway/core';
import { RecordingReader } from '../reader.js';
import { writeCsv } from './csv.js';
import { LAP_COLUMNS, LapTable } from './laps.js';
import { encodeLd, encodeLdx, MotecCollector } from './motec.js';
import { writeParquet } from './parquet.js';
import { catalogOf, flatten, TopicTable, topicFileName, type ColumnKind, type Row } from './table.js';

export type ExportFormat = 'csv' | 'parquet' | 'motec';

export interface ExportOptions {
  file: string;
  format: ExportFormat;
  outDir: string;
  /** Topics to export (csv, parquet; default every one). */
  topics?: string[];
  /** Topic declarations: typed Parquet columns where they exist. */
  declarations?: readonly TopicSpec[];
  /** MoTeC sample rate, Hz (default 50). */
  motecHz?: number;
  /** Told how far the export is (records read of the total), at most every 100 ms. */
  onProgress?: (p: { done: number; total: number; phase: string }) => void;
}

export interface ExportSummary {
  records: number;
  topics: number;
  durationMs: number;
  files: Array<{ path: string; rows: number; bytes: number }>;
  bytes: number;
}

/**
 * Exports a recording: `csv` (one file per topic, flattened columns, and laps.csv), `parquet` (the
 * same as typed Parquet files), `motec` (rF2 player telemetry as `.ld` with lap beacons in `.ldx`).
 * Files are written beside their final name and renamed into place (a previous export of the same
 * name is kept as a backup).
 */
export async function exportRecording(o: ExportOptions): Promise<ExportSummary> {
  const reader = await RecordingReader.open(o.file);
  await mkdir(o.outDir, { recursive: true });
  const tmp = await mkdtemp(path.join(o.outDir, '.acgateway-export-'));
  const files: ExportSummary['files'] = [];
  const topics = new Set<string>();
  let records = 0;
  try {
    const wanted = (o.topics ?? ['#']).map(compilePattern);
    const catalog = catalogOf(o.declarations ?? []);
    const total = reader.records;
    let lastProgress = 0;
    const progress = (phase: string, done: number, of: number, force = false) => {
      const now = Date.now();
      if (!o.onProgress || (!force && now - lastProgress < 100)) return;
      lastProgress = now;
      o.onProgress({ done, total: of, phase });
    };
    const place = async (name: string, write: (file: string) => Promise<number>) => {
      const final = path.join(o.outDir, name);
      const part = path.join(tmp, name);
      const rows = await write(part);
      await replaceWithBackup(part, final);
      files.push({ path: final, rows, bytes: (await stat(final)).size });
    };

    if (o.format === 'motec') {
      const motec = new MotecCollector();
      for await (const m of reader.messages({ withRetained: true })) {
        records++;
        topics.add(m.topic);
        if (m.topic.startsWith('rf2/')) motec.add(m.topic, m.t, JSON.parse(m.data));
        progress('reading', records, total);
      }
      if (motec.samples.length < 2) throw new Error(`${o.file} holds ${motec.samples.length} rf2/telemetry message(s): a MoTeC export needs the rF2 player's telemetry (record rf2/telemetry)`);
      const hz = o.motecHz ?? 50;
      const built = motec.build(hz);
      const base = path.basename(o.file, path.extname(o.file));
      const when = new Date(reader.header.startedAt + motec.samples[0]!.t);
      const ld = encodeLd({ when, driver: motec.driver, vehicle: motec.vehicle, venue: motec.venue, event: 'acgateway', session: motec.session, comment: `rF2 via acgateway, ${hz} Hz`, channels: built.channels });
      await place(`${base}.ld`, async (f) => (await writeFile(f, ld), built.channels[0]!.samples.length));
      await place(`${base}.ldx`, async (f) => (await writeFile(f, encodeLdx(built.beaconsS, built.fastest)), built.beaconsS.length));
      progress('done', records, total, true);
      return summary();
    }

    // One pass: each topic's rows spill to a temporary NDJSON file while its columns are learned.
    const tables = new Map<string, { table: TopicTable; spill: WriteStream; file: string }>();
    const laps = new LapTable();
    for await (const m of reader.messages({ withRetained: true })) {
      records++;
      progress('reading', records, total);
      if (!wanted.some((w) => w(m.topic))) continue;
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        continue;
      }
      topics.add(m.topic);
      laps.add(m, data);
      let t = tables.get(m.topic);
      if (!t) {
        const file = path.join(tmp, `${tables.size}.ndjson`);
        t = { table: new TopicTable(m.topic, catalog.find(m.topic)?.spec.schema), spill: createWriteStream(file), file };
        tables.set(m.topic, t);
      }
      const row = flatten(data, { t_ms: Math.round(m.t * 1000) / 1000, ts: m.ts });
      t.table.add(row);
      if (!t.spill.write(JSON.stringify(row) + '\n')) await once(t.spill, 'drain');
    }
    for (const t of tables.values()) {
      t.spill.end();
      await once(t.spill, 'finish');
    }
    const ext = o.format === 'csv' ? 'csv' : 'parquet';
    let written = 0;
    const write = async (name: string, kinds: Map<string, ColumnKind>, rows: () => AsyncIterable<Row> | Iterable<Row>, topic: string) =>
      place(name, (f) => (o.format === 'csv' ? writeCsv(f, [...kinds.keys()], rows()) : writeParquet(f, kinds, toAsync(rows()), { 'acgateway.topic': topic, 'acgateway.recording': JSON.stringify(reader.header) })));
    for (const { table, file } of tables.values()) {
      await write(`${topicFileName(table.topic)}.${ext}`, table.kinds(), () => readRows(file), table.topic);
      written += table.rows;
      progress('writing', written, records, true);
    }
    if (laps.rows.length) await write(`laps.${ext}`, new Map(LAP_COLUMNS), () => laps.rows, 'laps');
    return summary();
  } finally {
    await reader.close();
    await rm(tmp, { recursive: true, force: true });
  }

  function summary(): ExportSummary {
    return { records, topics: topics.size, durationMs: reader.durationMs, files, bytes: files.reduce((n, f) => n + f.bytes, 0) };
  }
}

async function* readRows(file: string): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as Row;
}

async function* toAsync<T>(it: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const x of it) yield x;
}
