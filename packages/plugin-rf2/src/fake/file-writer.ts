/**
 * Writes rF2-layout Telemetry and Scoring buffers as files in a folder, the way the Linux bridges
 * present them. Readers map these files exactly as they would map the game's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { READ_BUFFERS, mappingName, type ReadBuffer } from '../wire/layout.js';
import { Rf2Writer, type Rf2WriterOptions } from './writer.js';

export interface Rf2FileWriterOptions extends Rf2WriterOptions {
  /** Folder of the files (a temp folder in tests and the demo; /dev/shm would stand in for rF2). */
  dir: string;
}

export class Rf2FileWriter extends Rf2Writer {
  readonly paths: Record<ReadBuffer, string>;
  private fds: Partial<Record<ReadBuffer, number>> = {};

  constructor(private readonly options: Rf2FileWriterOptions) {
    super(options);
    this.paths = {
      Telemetry: path.join(options.dir, mappingName('Telemetry', options.suffix)),
      Scoring: path.join(options.dir, mappingName('Scoring', options.suffix)),
    };
  }

  /**
   * Each file is written under a temporary name and renamed into place, so a reader never finds it
   * half made, and an existing file is replaced, never truncated: a reader that has it mapped must
   * not see it shrink.
   */
  protected openOne(type: ReadBuffer, image: Buffer, size: number): void {
    fs.mkdirSync(this.options.dir, { recursive: true });
    this.closeOne(type);
    const file = this.paths[type];
    const temp = path.join(this.options.dir, `.${path.basename(file)}.${process.pid}.tmp`);
    const fd = fs.openSync(temp, 'w+');
    fs.writeSync(fd, image, 0, Math.min(size, image.length), 0);
    if (size > image.length) fs.ftruncateSync(fd, size);
    fs.renameSync(temp, file);
    this.fds[type] = fd;
  }

  protected storeRange(type: ReadBuffer, image: Buffer, from: number, to: number): void {
    fs.writeSync(this.fds[type]!, image, from, to - from, from);
  }

  protected isOpenOne(type: ReadBuffer): boolean {
    return this.fds[type] !== undefined;
  }

  protected closeOne(type: ReadBuffer): void {
    const fd = this.fds[type];
    if (fd !== undefined) fs.closeSync(fd);
    delete this.fds[type];
  }

  /** Closes and deletes the files (rF2 gone). */
  remove(): void {
    this.close();
    for (const type of READ_BUFFERS) fs.rmSync(this.paths[type], { force: true });
  }
}
