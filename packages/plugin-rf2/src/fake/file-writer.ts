/**
 * Writes rF2-layout Telemetry and Scoring buffers as files in a folder, the way the Linux bridges
 * present them, with the plugin's write order: Begin bumped and stored, payload stored, End bumped
 * and stored. Readers map these files exactly as they would map the game's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rf2BufferWriter, type ScoringInput, type TelemetryInput } from '../wire/encode.js';
import { BUFFERS, READ_BUFFERS, VERSION, mappingName, type ReadBuffer } from '../wire/layout.js';

export interface Rf2FileWriterOptions {
  /** Folder of the files (a temp folder in tests and the demo; /dev/shm would stand in for rF2). */
  dir: string;
  /** Mapping-name suffix (a dedicated server's process id). */
  suffix?: string;
  /** Start value of the version counters (tests use values near 2^32 to exercise wrap-around). */
  initialVersion?: number;
  /** File sizes other than the layout's (bad-input fixtures: shorter files). */
  sizes?: Partial<Record<ReadBuffer, number>>;
}

export class Rf2FileWriter {
  readonly images: Rf2BufferWriter;
  readonly paths: Record<ReadBuffer, string>;
  private fds: Partial<Record<ReadBuffer, number>> = {};

  constructor(private readonly options: Rf2FileWriterOptions) {
    this.images = new Rf2BufferWriter(options.initialVersion ?? 0);
    this.paths = {
      Telemetry: path.join(options.dir, mappingName('Telemetry', options.suffix)),
      Scoring: path.join(options.dir, mappingName('Scoring', options.suffix)),
    };
  }

  /**
   * Creates both files, full size, holding the current images (fill them first through `images` to
   * start with data). Each file is written under a temporary name and renamed into place, so a reader
   * never finds it half made, and an existing file is replaced, never truncated: a reader that has it
   * mapped must not see it shrink.
   */
  open(): this {
    fs.mkdirSync(this.options.dir, { recursive: true });
    for (const type of READ_BUFFERS) {
      this.closeOne(type);
      const file = this.paths[type];
      const temp = path.join(this.options.dir, `.${path.basename(file)}.${process.pid}.tmp`);
      const fd = fs.openSync(temp, 'w+');
      const size = this.sizeOf(type);
      const image = this.images.image(type);
      fs.writeSync(fd, image, 0, Math.min(size, image.length), 0);
      if (size > image.length) fs.ftruncateSync(fd, size);
      fs.renameSync(temp, file);
      this.fds[type] = fd;
    }
    return this;
  }

  get isOpen(): boolean {
    return this.fds.Telemetry !== undefined;
  }

  private sizeOf(type: ReadBuffer): number {
    return this.options.sizes?.[type] ?? BUFFERS[type].mappingBytes;
  }

  private store(type: ReadBuffer, from: number, to: number): void {
    const fd = this.fds[type];
    if (fd === undefined) throw new Error(`Rf2FileWriter: ${type} is not open (call open() first)`);
    const stop = Math.min(to, this.sizeOf(type));
    if (stop > from) fs.writeSync(fd, this.images.image(type), from, stop - from, from);
  }

  private storeVersions(type: ReadBuffer): void {
    this.store(type, 0, VERSION.size);
  }

  /** One versioned update, each step stored as it happens: `fill` writes the image's payload and returns the bytes it covers. */
  private write(type: ReadBuffer, fill: () => number): void {
    this.beginWrite(type);
    this.store(type, VERSION.size, fill());
    this.endWrite(type);
  }

  writeTelemetry(input: TelemetryInput): void {
    this.write('Telemetry', () => this.images.writeTelemetryPayload(input));
  }

  writeScoring(input: ScoringInput): void {
    this.write('Scoring', () => this.images.writeScoringPayload(input));
  }

  /** Starts a write and leaves it open: the buffer reads as torn until `endWrite`. */
  beginWrite(type: ReadBuffer): void {
    this.images.begin(type);
    this.storeVersions(type);
  }

  endWrite(type: ReadBuffer): void {
    this.images.end(type);
    this.storeVersions(type);
  }

  /** Stores bytes at a file offset without touching the version block (corrupt fixtures). */
  writeRaw(type: ReadBuffer, offset: number, bytes: Uint8Array): void {
    this.images.image(type).set(bytes, offset);
    this.store(type, offset, offset + bytes.length);
  }

  setVersions(type: ReadBuffer, begin: number, end: number): void {
    this.images.setVersions(type, begin, end);
    this.storeVersions(type);
  }

  /** Zero-fills both payloads, as the plugin does at start-up, session start and shutdown. */
  clear(): void {
    for (const type of READ_BUFFERS) this.write(type, () => this.images.clearPayload(type));
  }

  private closeOne(type: ReadBuffer): void {
    const fd = this.fds[type];
    if (fd !== undefined) fs.closeSync(fd);
    delete this.fds[type];
  }

  close(): void {
    for (const type of READ_BUFFERS) this.closeOne(type);
  }

  /** Closes and deletes the files (rF2 gone). */
  remove(): void {
    this.close();
    for (const type of READ_BUFFERS) fs.rmSync(this.paths[type], { force: true });
  }
}
