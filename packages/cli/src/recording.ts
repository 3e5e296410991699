import { open } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, coreStatusTopic, createLogger, Host, type LogLevel, type PluginEntry, type TopicSpec, type UserConfig } from '@acgateway/core';
import { loadConfigFile } from './config-file.js';
import { runHost } from './start.js';
import type { Io } from './main.js';

/** A path relative to the working folder when it is inside it. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** Bytes as people read them: 1.4 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** ms as `1:02:03` or `2:03`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export interface RecordArgs {
  url: string;
  token?: string;
  topics: string[];
  out: string;
  durationS?: number;
  maxBytes?: number;
  rotate?: 'size' | 'session' | 'none';
  maxFiles?: number;
  tty: boolean;
}

/**
 * `acgateway record`: a running gateway's topics to an `.acgrec` file until Ctrl-C (or --duration).
 * Exit 1 when the gateway dropped messages for the recorder or the connection was lost: the file is
 * kept, but has gaps, and the summary says how many.
 */
export async function runRecord(a: RecordArgs, io: Io): Promise<number> {
  const { GatewayRecorder } = await import('@acgateway/recorder');
  const problems: string[] = [];
  const rec = new GatewayRecorder({
    url: a.url,
    token: a.token,
    topics: a.topics,
    out: path.resolve(a.out),
    durationMs: a.durationS ? a.durationS * 1000 : undefined,
    maxBytes: a.maxBytes,
    rotate: a.rotate,
    maxFiles: a.maxFiles,
    onProblem: (m) => {
      problems.push(m);
      io.err(`acgateway record: ${m}`);
    },
  });
  await rec.start();
  io.err(`recording ${a.topics.join(' ')} from ${a.url} to ${a.out}${a.durationS ? ` for ${a.durationS} s` : ''} (Ctrl-C stops)`);
  let summary: ReturnType<typeof rec.stop> | undefined;
  const stop = () => (summary ??= rec.stop());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = Date.now();
  const ticker = a.tty ? setInterval(() => process.stderr.write(`\r  ${formatDuration(Date.now() - started)}  ${rec.stats.records.toLocaleString('en')} messages  ${formatBytes(rec.stats.bytes)} on disk  `), 1000) : undefined;
  await rec.wait();
  clearInterval(ticker);
  if (a.tty) process.stderr.write('\n');
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const s = stop();
  io.out(`recorded ${s.records.toLocaleString('en')} messages on ${s.topics.size} topics over ${formatDuration(s.durationMs)}: ${formatBytes(s.bytes)} in ${s.files.join(', ') || '(no file: nothing came)'} (${formatBytes(s.rawBytes)} before compression)`);
  if (s.dropped || s.disconnects) {
    io.err(`acgateway record: the recording has gaps: ${s.dropped} message(s) dropped by the gateway, ${s.disconnects} disconnect(s)`);
    return 1;
  }
  return 0;
}

export interface ReplayArgs {
  file: string;
  speed: number | 'max';
  loop: boolean;
  from?: string;
  topics?: string[];
  configPath?: string;
  host?: string;
  port?: number;
  logLevel?: string;
}

/**
 * `acgateway replay`: a host that publishes a recording as if its sources were live: an `.acgrec`
 * (through @acgateway/recorder) or an `.acudp` datagram recording (through @acgateway/plugin-acudp).
 * With --config, the config's plugins and server settings too; otherwise the gateway alone.
 */
export async function runReplay(a: ReplayArgs, io: Io): Promise<number> {
  const file = path.resolve(a.file);
  const head = Buffer.alloc(8);
  try {
    const fh = await open(file, 'r');
    await fh.read(head, 0, 8, 0);
    await fh.close();
  } catch (err) {
    throw new ConfigError(`cannot read the recording ${a.file}: ${(err as Error).message}`);
  }
  let entry: PluginEntry;
  if (head.toString('latin1') === 'ACUDPREC') {
    if (a.from) throw new ConfigError('--from works with .acgrec recordings; an .acudp recording replays from its start');
    entry = ['@acgateway/plugin-acudp', { replay: { file, speed: a.speed, loop: a.loop } }];
  } else {
    const { recorder, isAcgrec } = await import('@acgateway/recorder');
    if (!isAcgrec(head)) throw new ConfigError(`${a.file} is neither an acgateway recording (.acgrec) nor an acudp one (.acudp)`);
    entry = recorder({ replay: { file, speed: a.speed, loop: a.loop, from: a.from ?? 0, ...(a.topics ? { topics: a.topics } : {}) } });
  }
  let config: UserConfig & { plugins: PluginEntry[] };
  let configDir = process.cwd();
  if (a.configPath) {
    const loaded = await loadConfigFile({ configPath: a.configPath });
    config = { ...loaded.config, plugins: [...(loaded.config.plugins ?? []), entry] };
    configDir = loaded.dir;
  } else config = { plugins: [entry] };
  config.server = { ...config.server, ...(a.host ? { host: a.host } : {}), ...(a.port !== undefined ? { port: a.port } : {}) };
  const level = (a.logLevel ?? config.log?.level ?? 'info') as LogLevel;
  const logger = createLogger({ level, pretty: config.log?.pretty });
  const host = new Host({ config: { ...config, log: { ...config.log, level } }, configDir, logger });
  return runHost(host, logger, io);
}

/** The topic declarations of the plugins a recording names (and the first-party ones), for typed columns. */
async function declarationsFor(plugins: Array<{ name: string; origin?: string }>): Promise<TopicSpec[]> {
  const names = new Set(['acudp', 'rf2', 'acws', 'emperor', 'robocar', 'mqtt', 'nats'].map((n) => `@acgateway/plugin-${n}`));
  for (const p of plugins) {
    names.add(`@acgateway/plugin-${p.name}`);
    if (p.origin && p.origin !== 'config' && !p.origin.startsWith('.') && !path.isAbsolute(p.origin)) names.add(p.origin);
  }
  const out: TopicSpec[] = [coreStatusTopic as TopicSpec];
  for (const name of names) {
    try {
      const mod = (await import(name)) as { default?: { definition?: { topics?: TopicSpec[] } } };
      out.push(...(mod.default?.definition?.topics ?? []));
    } catch {
      // Not installed: its topics get types from their values.
    }
  }
  return out;
}

export interface ExportArgs {
  file: string;
  format: 'csv' | 'parquet' | 'motec';
  out: string;
  topics?: string[];
  hz?: number;
  tty: boolean;
}

/** `acgateway export`: a recording as CSV, Parquet or MoTeC files; progress on a terminal, then a summary. */
export async function runExport(a: ExportArgs, io: Io): Promise<number> {
  const { exportRecording, RecordingReader } = await import('@acgateway/recorder');
  const reader = await RecordingReader.open(path.resolve(a.file));
  const plugins = reader.header.plugins;
  if (reader.partialTailBytes) io.err(`acgateway export: ${a.file} ends in ${reader.partialTailBytes} bytes of a partial chunk (the recorder was stopped hard): exporting what came before`);
  await reader.close();
  const declarations = a.format === 'motec' ? [] : await declarationsFor(plugins);
  const started = Date.now();
  const s = await exportRecording({
    file: path.resolve(a.file),
    format: a.format,
    outDir: path.resolve(a.out),
    topics: a.topics,
    declarations,
    motecHz: a.hz,
    onProgress: a.tty ? (p) => process.stderr.write(`\r  ${p.phase} ${p.total ? Math.floor((100 * p.done) / p.total) : 100}% (${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} records)   `) : undefined,
  });
  if (a.tty) process.stderr.write('\n');
  for (const f of s.files) io.out(`  ${shortPath(f.path)}  ${f.rows.toLocaleString('en')} rows  ${formatBytes(f.bytes)}`);
  io.out(`exported ${s.records.toLocaleString('en')} records on ${s.topics} topics (${formatDuration(s.durationMs)} of recording) as ${a.format}: ${s.files.length} file(s), ${formatBytes(s.bytes)}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
