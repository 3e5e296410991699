import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { encodeFileHeader, encodeRecord, type Direction } from './format.js';
import { replaceWithBackup } from '@acgateway/atomic-file';

export interface RecorderOptions {
  /** Memory bound of what waits for the disk; beyond it datagrams are dropped and counted. Default 16 MiB. */
  maxPendingBytes?: number;
  now?: () => number;
}

/**
 * Streams datagrams to a recording. It writes a temp file beside the target and, on close,
 * flushes it to disk and renames it over the target (the previous file is kept as
 * `<name>.<timestamp>.bak`): a reader never sees a half-written recording under the target name.
 *
 * writeFileAtomic does the same for data held whole in memory; a recording grows for hours,
 * so it is streamed to its temp file here and only the final step (backup, rename) is the same.
 */
export class Recorder {
  private stream: WriteStream | undefined;
  private tmp = '';
  private started = 0;
  /** Records written, bytes written, and records dropped (memory bound hit, or the disk failed). */
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
    // flush: the stream syncs the file to disk before it closes.
    const stream = createWriteStream(this.tmp, { flags: 'wx', flush: true });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    this.error = undefined;
    stream.on('error', (err) => {
      // Reported by close(); a failing disk must not take the gateway down.
      this.error ??= err;
    });
    this.stream = stream;
    this.started = performance.now();
    stream.write(encodeFileHeader(this.now()));
  }

  /** Appends one datagram, stamped now (call it as the datagram arrives or leaves). */
  write(direction: Direction, payload: Uint8Array): void {
    const s = this.stream;
    if (!s) return;
    if (this.error || s.writableLength > this.maxPending) {
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
    if (await this.end()) await fs.rm(this.tmp, { force: true });
  }

  /** Flushes, syncs and moves the recording into place. Returns the backup of a replaced file, if any. */
  async close(): Promise<string | undefined> {
    if (!(await this.end())) return undefined;
    if (this.error) throw new Error(`recording ${this.file} failed: ${this.error.message} (partial data in ${this.tmp})`, { cause: this.error });
    return replaceWithBackup(this.tmp, this.file, { now: () => new Date(this.now()) });
  }

  /** Ends the stream and waits for its descriptor to close; false when there was none. */
  private async end(): Promise<boolean> {
    const s = this.stream;
    if (!s) return false;
    this.stream = undefined;
    await new Promise<void>((resolve) => {
      // A stream that failed has closed already and would never say so again.
      if (s.closed) return resolve();
      s.once('close', () => resolve());
      s.end();
    });
    return true;
  }
}
