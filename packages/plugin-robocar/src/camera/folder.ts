import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { startTicker } from '../util/ticker.js';
import type { CameraSink, CameraSource } from './types.js';

export interface FolderCameraOptions {
  /** A folder (its .jpg/.jpeg files), one JPEG file, or a glob such as `frames/*.jpg`. Relative to `cwd`. */
  path: string;
  /** What a relative `path` starts from (the plugin passes the config file's folder). Default: the working folder. */
  cwd?: string;
  /** Frames per second, default 10. */
  fps?: number;
  /** How often the file list is read again (files added, removed, the folder back), ms. Default 5000. */
  rescanMs?: number;
}

const JPEG_NAME = /\.jpe?g$/i;
const naturalOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }).compare;

/**
 * Loops over JPEG files at a set rate, in natural name order (frame2 before frame10). A corrupt
 * file is skipped (counted and logged) and not read again until the next rescan.
 */
export class FolderCamera implements CameraSource {
  readonly kind = 'folder' as const;
  readonly description: string;
  private files: string[] = [];
  private readonly bad = new Set<string>();
  private index = 0;
  private sink: CameraSink | undefined;
  private stopTicker: (() => void) | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private reading = false;
  private scanning: Promise<void> | undefined;
  private stopped = true;
  private skippedTicks = 0;
  private sent = 0;

  constructor(private readonly options: FolderCameraOptions) {
    this.description = `folder ${options.path} at ${options.fps ?? 10} fps`;
  }

  async start(sink: CameraSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    await this.rescan();
    this.stopTicker = startTicker(this.options.fps ?? 10, () => this.tick());
    this.rescanTimer = setInterval(() => void this.rescan(), this.options.rescanMs ?? 5000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTicker?.();
    this.stopTicker = undefined;
    clearInterval(this.rescanTimer);
    await this.scanning;
  }

  details(): Record<string, unknown> {
    return { files: this.files.length, corruptFiles: this.bad.size, framesSent: this.sent, skippedTicks: this.skippedTicks };
  }

  /** Reads the file list again; reports the camera down when there is nothing to show. */
  rescan(): Promise<void> {
    this.scanning ??= this.list()
      .then(
        (files) => {
          this.files = files;
          this.bad.clear();
          if (files.length === 0) this.sink?.down(`no JPEG files in ${this.options.path} (looked for *.jpg and *.jpeg)`);
        },
        (err: NodeJS.ErrnoException) => {
          this.files = [];
          this.sink?.down(err.code === 'ENOENT' ? `${this.options.path} does not exist` : `cannot list ${this.options.path}: ${err.message}`);
        },
      )
      .finally(() => {
        this.scanning = undefined;
      });
    return this.scanning;
  }

  private async list(): Promise<string[]> {
    const cwd = this.options.cwd ?? process.cwd();
    if (isDynamicPattern(this.options.path)) {
      return (await glob([this.options.path], { absolute: true, onlyFiles: true, cwd })).sort(naturalOrder);
    }
    const p = path.resolve(cwd, this.options.path);
    const s = await stat(p);
    if (!s.isDirectory()) return [path.resolve(p)];
    const names = await readdir(p, { withFileTypes: true });
    return names
      .filter((d) => (d.isFile() || d.isSymbolicLink()) && JPEG_NAME.test(d.name))
      .map((d) => path.resolve(p, d.name))
      .sort(naturalOrder);
  }

  private tick(): void {
    if (this.stopped || this.files.length === 0) return;
    if (this.reading) {
      this.skippedTicks++;
      return;
    }
    this.reading = true;
    this.sendNext()
      .catch((err: unknown) => this.sink?.problem('folder-read', `reading ${this.options.path} failed: ${String(err)}`))
      .finally(() => {
        this.reading = false;
      });
  }

  /** Sends the next good file, trying each file at most once per tick. */
  private async sendNext(): Promise<void> {
    const sink = this.sink!;
    const files = this.files;
    let missing = 0;
    for (let attempt = 0; attempt < files.length && !this.stopped; attempt++) {
      const file = files[this.index % files.length]!;
      this.index = (this.index + 1) % files.length;
      if (this.bad.has(file)) continue;
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') missing++;
        else {
          this.bad.add(file);
          sink.problem('unreadable-file', `cannot read ${file}: ${e.message}`);
        }
        continue;
      }
      if (this.stopped) return;
      if (sink.jpeg(data, file)) {
        this.sent++;
        if (missing > 0) void this.rescan();
        return;
      }
      this.bad.add(file);
    }
    if (this.stopped) return;
    if (missing > 0) {
      // Files went away (the folder was removed or emptied): what is left is found by a rescan.
      sink.down(`files in ${this.options.path} disappeared`);
      await this.rescan();
    } else if (files.length > 0 && this.bad.size >= files.length) {
      sink.down(`none of the ${files.length} files in ${this.options.path} is a readable JPEG`);
    }
  }
}
