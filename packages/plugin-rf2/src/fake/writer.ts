/**
 * The plugin's write order, whatever holds the buffers: Begin bumped and stored, payload stored, End
 * bumped and stored. Rf2FileWriter stores into files (the Linux bridges' way), Rf2MappingWriter into
 * Windows named mappings (rF2's own way). Readers see either exactly as they would see the game's.
 */
import { Rf2BufferWriter, type ScoringInput, type TelemetryInput } from '../wire/encode.js';
import { BUFFERS, READ_BUFFERS, VERSION, type ReadBuffer } from '../wire/layout.js';

export interface Rf2WriterOptions {
  /** Mapping-name suffix (a dedicated server's process id). */
  suffix?: string;
  /** Start value of the version counters (tests use values near 2^32 to exercise wrap-around). */
  initialVersion?: number;
  /** Buffer sizes other than the layout's (bad-input fixtures: shorter buffers). */
  sizes?: Partial<Record<ReadBuffer, number>>;
}

export abstract class Rf2Writer {
  readonly images: Rf2BufferWriter;
  /** Where each buffer is: a file path or a mapping name. */
  abstract readonly paths: Record<ReadBuffer, string>;

  constructor(protected readonly baseOptions: Rf2WriterOptions) {
    this.images = new Rf2BufferWriter(baseOptions.initialVersion ?? 0);
  }

  /** Makes one buffer, `size` bytes, holding `image` (replacing an earlier one of this writer's). */
  protected abstract openOne(type: ReadBuffer, image: Buffer, size: number): void;
  /** Stores image bytes [from, to) at the same offsets. */
  protected abstract storeRange(type: ReadBuffer, image: Buffer, from: number, to: number): void;
  protected abstract isOpenOne(type: ReadBuffer): boolean;
  protected abstract closeOne(type: ReadBuffer): void;
  /** Closes and makes the buffers disappear (rF2 gone). */
  abstract remove(): void;

  /** Creates both buffers, full size, holding the current images (fill them first through `images` to start with data). */
  open(): this {
    for (const type of READ_BUFFERS) this.openOne(type, this.images.image(type), this.sizeOf(type));
    return this;
  }

  get isOpen(): boolean {
    return this.isOpenOne('Telemetry');
  }

  protected sizeOf(type: ReadBuffer): number {
    return this.baseOptions.sizes?.[type] ?? BUFFERS[type].mappingBytes;
  }

  private store(type: ReadBuffer, from: number, to: number): void {
    if (!this.isOpenOne(type)) throw new Error(`${this.constructor.name}: ${type} is not open (call open() first)`);
    const stop = Math.min(to, this.sizeOf(type));
    if (stop > from) this.storeRange(type, this.images.image(type), from, stop);
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

  /** Stores bytes at an offset without touching the version block (corrupt fixtures, torn-write tests). */
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

  close(): void {
    for (const type of READ_BUFFERS) this.closeOne(type);
  }
}
