import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { encodeFileHeader, encodeRecord, type Direction } from './format.js';

export interface RecorderOptions {
  /** Memory bound of what waits for the disk; beyond it datagrams are dropped and counted. Default 16 MiB. */
  maxPendingBytes?: number;
  now?: () => number;
}

/**
 * Streams datagrams to a recording. It writes a temp file beside the target and, on close,
 * flushes it to disk and renames it over the target (the previous file is kept as
 * `<name>.<timestamp>.bak`): a reader never sees a half-written recording under the target name.
 */
export class Recorder {
  private stream: WriteStream | undefined;
  private tmp = '';
  private startedAt = 0;
  private started = 0;
  readonly stats = { records: 0, bytes: 0, dropped: 0 };
  private error: Error | undefined;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(
    readonly file: string,
    options: RecorderOptions = {},
  ) {
    this.maxPending = options.maxPendingBytes ?? 16 << 20;
    this.now = options.now ?? Date.now;
  }

  async open(): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    this.tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.${Date.now()}.partial`);
    const stream = createWriteStream(this.tmp, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    this.error = undefined;
    stream.on('error', (err) => {
      // Reported by close(); a failing disk must not take the gateway down.
      this.error = err;
    });
    this.stream = stream;
    this.startedAt = this.now();
    this.started = performance.now();
    this.stream.write(encodeFileHeader(this.startedAt));
  }

  /** Appends one datagram, stamped now (call it as the datagram arrives or leaves). */
  write(direction: Direction, payload: Uint8Array): void {
    const s = this.stream;
    if (!s) return;
    if (s.writableLength > this.maxPending) {
      this.stats.dropped++;
      return;
    }
    // A monotonic clock: offsets never go backwards when the wall clock is adjusted.
    const rec = encodeRecord(performance.now() - this.started, direction, payload);
    this.stats.records++;
    this.stats.bytes += rec.length;
    s.write(rec);
  }

  /** Abandons the recording: closes and removes the temporary file (a start that failed midway). */
  async discard(): Promise<void> {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
    });
    await fs.rm(this.tmp, { force: true });
  }

  /** Flushes, syncs and moves the recording into place. Returns the backup of a replaced file, if any. */
  async close(): Promise<string | undefined> {
    const s = this.stream;
    if (!s) return undefined;
    this.stream = undefined;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
    });
    if (this.error) throw new Error(`recording ${this.file} failed: ${this.error.message} (partial data in ${this.tmp})`, { cause: this.error });
    // fsync through a second descriptor: it flushes the file, whichever descriptor wrote it.
    const h = await fs.open(this.tmp, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    let backup: string | undefined;
    try {
      await fs.access(this.file);
      backup = `${this.file}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
      await fs.copyFile(this.file, backup);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await fs.rename(this.tmp, this.file);
    return backup;
  }
}
