import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { constants as zc, gzipSync } from 'node:zlib';
import { checksum, ChunkKind, Codec, encodeChunkHeader, encodeFileHeader, encodeRecord, encodeTrailer, FORMAT_VERSION, type ChunkInfo, type RecordedMessage, type RecordingHeader } from './format.js';
import { compilePattern } from '@acgateway/core';

export interface WriterOptions {
  /** A chunk is sealed (compressed and written) when its records reach this many bytes (default 256 KiB)... */
  chunkBytes?: number;
  /** ...or this long after its first record (default 1000 ms): what a killed recorder can lose at most. */
  flushMs?: number;
  /** A keyframe (every retained value) is written this often (default 30 s): seeking starts from one. */
  keyframeMs?: number;
  /** gzip the chunks (default true; level 6). */
  compress?: boolean;
  /** A file is closed when it reaches this many bytes (default 0 = no limit); then `rotate` says what follows. */
  maxBytes?: number;
  /** `size`: a new file at maxBytes; `session`: a new file at each new session too; `none`: recording stops at maxBytes. */
  rotate?: 'size' | 'session' | 'none';
  /** Topics whose messages begin a new session (default: acudp's and emperor's session starts). */
  sessionTopics?: string[];
  /** Keep at most this many files of a rotating recording; the oldest go (default 0 = keep all). */
  maxFiles?: number;
  /** ms clock for record times (default performance.now). */
  now?: () => number;
}

/** The topics that start a session: a recording rotated `by session` starts a new file at them. */
export const SESSION_TOPICS = ['acudp/new_session', 'emperor/+/event/new_session'];

export interface WriterStats {
  records: number;
  /** Bytes written to disk, every file. */
  bytes: number;
  /** Bytes of the records before compression. */
  rawBytes: number;
  chunks: number;
  files: string[];
  /** Messages refused (a recording stopped at maxBytes with rotate 'none'). */
  refused: number;
  topics: Set<string>;
  /** ms from the first to the last record. */
  durationMs: number;
}

/** `race.acgrec`, part 2 -> `race.002.acgrec`. */
export function partName(file: string, part: number): string {
  if (part === 0) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${String(part).padStart(3, '0')}${ext}`;
}

/**
 * Writes a `.acgrec` recording (format in format.ts). Synchronous appends: a chunk reaches the file
 * in one write, so a process killed at any moment leaves every earlier chunk whole. The file is
 * created at the first chunk (`header()` is asked then) and refused if it exists: a recording
 * never overwrites one.
 */
export class RecordingWriter {
  readonly stats: WriterStats = { records: 0, bytes: 0, rawBytes: 0, chunks: 0, files: [], refused: 0, topics: new Set(), durationMs: 0 };
  private readonly o: Required<Omit<WriterOptions, 'now'>>;
  private readonly now: () => number;
  private readonly t0: number;
  private readonly isSession: (topic: string) => boolean;
  private readonly retained = new Map<string, RecordedMessage>();
  private pending: Buffer[] = [];
  /** The pending records that are retained values: they join the keyframe state once sealed. */
  private pendingRetained: RecordedMessage[] = [];
  private pendingBytes = 0;
  private pendingFirstT = 0;
  private pendingLastT = 0;
  private fd: number | undefined;
  private fileBytes = 0;
  private fileChunks: ChunkInfo[] = [];
  private fileMessages = 0;
  private part = 0;
  private lastKeyframeT = -Infinity;
  private firstT: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private full = false;
  private closed = false;
  readonly startedAt = Date.now();

  constructor(
    readonly file: string,
    private readonly header: () => Omit<RecordingHeader, 'format' | 'version' | 'startedAt' | 'part'>,
    options: WriterOptions = {},
  ) {
    this.o = {
      chunkBytes: options.chunkBytes ?? 256 * 1024,
      flushMs: options.flushMs ?? 1000,
      keyframeMs: options.keyframeMs ?? 30_000,
      compress: options.compress ?? true,
      maxBytes: options.maxBytes ?? 0,
      rotate: options.rotate ?? 'size',
      sessionTopics: options.sessionTopics ?? SESSION_TOPICS,
      maxFiles: options.maxFiles ?? 0,
    };
    this.now = options.now ?? (() => performance.now());
    this.t0 = this.now();
    const tests = this.o.sessionTopics.map(compilePattern);
    this.isSession = (topic) => tests.some((t) => t(topic));
  }

  /** ms since the recording start. */
  elapsed(): number {
    return this.now() - this.t0;
  }

  /** Records one message; `t` defaults to now. False when the recording is full (rotate 'none') or closed. */
  write(m: Omit<RecordedMessage, 't'> & { t?: number }): boolean {
    if (this.closed || this.full) {
      this.stats.refused++;
      return false;
    }
    const rec: RecordedMessage = { t: m.t ?? this.elapsed(), ts: m.ts, topic: m.topic, data: m.data, retained: m.retained };
    if (this.o.rotate === 'session' && this.isSession(rec.topic) && this.fileMessages + this.pending.length > 0) {
      this.seal();
      this.rotate();
    }
    const bytes = encodeRecord(rec);
    if (!this.pending.length) this.pendingFirstT = rec.t;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.pendingLastT = rec.t;
    if (rec.retained) this.pendingRetained.push(rec);
    this.stats.records++;
    this.stats.rawBytes += bytes.length;
    this.stats.topics.add(rec.topic);
    this.firstT ??= rec.t;
    this.stats.durationMs = rec.t - this.firstT;
    if (this.pendingBytes >= this.o.chunkBytes) this.seal();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.seal();
      }, this.o.flushMs);
      this.timer.unref();
    }
    return true;
  }

  /** Seals what is pending into a chunk now. */
  flush(): void {
    this.seal();
  }

  /** Seals the last chunk, writes the index and the trailer, closes the file. */
  close(): WriterStats {
    if (this.closed) return this.stats;
    this.seal();
    this.closed = true;
    this.finishFile();
    return this.stats;
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.pending.length || this.full) return;
    const records = this.pending;
    const first = this.pendingFirstT;
    const last = this.pendingLastT;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.fd === undefined) this.openFile(first);
    else if (first - this.lastKeyframeT >= this.o.keyframeMs) this.writeKeyframe(first);
    this.writeChunk(ChunkKind.Messages, records, first, last);
    this.fileMessages += records.length;
    for (const r of this.pendingRetained) this.retained.set(r.topic, r);
    this.pendingRetained = [];
    if (this.o.maxBytes && this.fileBytes >= this.o.maxBytes) {
      if (this.o.rotate === 'none') {
        this.full = true;
        this.finishFile();
      } else this.rotate();
    }
  }

  private openFile(t: number): void {
    const file = partName(this.file, this.part);
    mkdirSync(path.dirname(file), { recursive: true });
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} exists: a recording never overwrites one (choose another name or move it away)`);
      throw err;
    }
    this.fd = fd;
    this.fileBytes = 0;
    this.fileChunks = [];
    this.fileMessages = 0;
    this.stats.files.push(file);
    this.append(encodeFileHeader({ format: 'acgrec', version: FORMAT_VERSION, startedAt: this.startedAt, part: this.part, ...this.header() }));
    // Each file starts with the retained values: it replays on its own, and a seek into it finds them.
    this.writeKeyframe(t);
    if (this.o.maxFiles > 0) {
      while (this.stats.files.length > this.o.maxFiles) rmSync(this.stats.files.shift()!, { force: true });
    }
  }

  private writeKeyframe(t: number): void {
    this.lastKeyframeT = t;
    if (!this.retained.size) return;
    const records = [...this.retained.values()].map((r) => encodeRecord({ ...r, t }));
    this.writeChunk(ChunkKind.Keyframe, records, t, t);
  }

  private writeChunk(kind: ChunkKind, records: Buffer[], firstT: number, lastT: number): void {
    const raw = records.length === 1 ? records[0]! : Buffer.concat(records);
    const stored = this.o.compress ? gzipSync(raw, { level: 6, strategy: zc.Z_DEFAULT_STRATEGY }) : raw;
    const header = encodeChunkHeader({ kind, codec: this.o.compress ? Codec.Gzip : Codec.None, records: records.length, storedBytes: stored.length, rawBytes: raw.length, firstT, lastT, crc: checksum(stored) });
    this.fileChunks.push({ offset: this.fileBytes, kind, firstT, lastT, records: records.length });
    // One write: header and body land together or the reader sees a partial tail it drops.
    this.append(Buffer.concat([header, stored]));
    this.stats.chunks++;
  }

  private append(b: Buffer): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd!, b, off);
    this.fileBytes += b.length;
    this.stats.bytes += b.length;
  }

  private finishFile(): void {
    if (this.fd === undefined) return;
    const index = Buffer.from(JSON.stringify({ chunks: this.fileChunks.map((c) => [c.offset, c.kind, c.firstT, c.lastT, c.records]) }));
    const at = this.fileBytes;
    const last = this.fileChunks.at(-1);
    this.append(Buffer.concat([encodeChunkHeader({ kind: ChunkKind.Index, codec: Codec.None, records: this.fileChunks.length, storedBytes: index.length, rawBytes: index.length, firstT: 0, lastT: last?.lastT ?? 0, crc: checksum(index) }), index]));
    this.append(encodeTrailer(at));
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private rotate(): void {
    this.finishFile();
    this.part++;
  }
}
