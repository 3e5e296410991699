/**
 * Writes rF2-layout Telemetry and Scoring buffers into Windows named mappings, as rF2's shared
 * memory plugin does: `CreateFileMappingW` on the paging file, named `$rFactor2SMMP_<type>$`
 * (`Global\` first when asked, as a dedicated server with DedicatedServerMapGlobally=1), one view
 * kept mapped for writing. Windows only (or Wine): the Windows test run drives it in its own process.
 */
import { ERROR_ALREADY_EXISTS, FILE_MAP_READ, FILE_MAP_WRITE, PAGE_READWRITE, PAGING_FILE, loadKernel32, viewBuffer, type Handle } from '../readers/kernel32.js';
import { mappingName, type ReadBuffer } from '../wire/layout.js';
import { Rf2Writer, type Rf2WriterOptions } from './writer.js';

export interface Rf2MappingWriterOptions extends Rf2WriterOptions {
  /** `Global\$rFactor2SMMP_…$`: the names a dedicated server maps globally. */
  global?: boolean;
}

interface Open {
  handle: Handle;
  view: Handle;
  /** Over the view; dropped before UnmapViewOfFile. */
  bytes: Buffer;
}

export class Rf2MappingWriter extends Rf2Writer {
  readonly paths: Record<ReadBuffer, string>;
  private mappings: Partial<Record<ReadBuffer, Open>> = {};

  constructor(options: Rf2MappingWriterOptions = {}) {
    super(options);
    const name = (type: ReadBuffer) => (options.global ? 'Global\\' : '') + mappingName(type, options.suffix);
    this.paths = { Telemetry: name('Telemetry'), Scoring: name('Scoring') };
  }

  /**
   * A mapping a reader still holds open outlives this writer's earlier one: it is opened again
   * (ERROR_ALREADY_EXISTS) and rewritten, as rF2 does when it restarts while a reader runs.
   */
  protected openOne(type: ReadBuffer, image: Buffer, size: number): void {
    this.closeOne(type);
    const k = loadKernel32();
    const name = this.paths[type];
    const handle = k.CreateFileMappingW(PAGING_FILE, null, PAGE_READWRITE, 0, size, name);
    if (!handle) throw new Error(`CreateFileMappingW(${name}, ${size} bytes) failed with error ${k.GetLastError()}`);
    const existed = k.GetLastError() === ERROR_ALREADY_EXISTS;
    const view = k.MapViewOfFile(handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, size);
    if (!view) {
      const code = k.GetLastError();
      k.CloseHandle(handle);
      throw new Error(`MapViewOfFile(${name}, ${size} bytes) failed with error ${code}${existed ? ' (an existing, smaller mapping of that name?)' : ''}`);
    }
    const bytes = viewBuffer(view, size);
    image.copy(bytes, 0, 0, Math.min(size, image.length));
    if (size > image.length) bytes.fill(0, image.length);
    this.mappings[type] = { handle, view, bytes };
  }

  protected storeRange(type: ReadBuffer, image: Buffer, from: number, to: number): void {
    image.copy(this.mappings[type]!.bytes, from, from, to);
  }

  protected isOpenOne(type: ReadBuffer): boolean {
    return this.mappings[type] !== undefined;
  }

  protected closeOne(type: ReadBuffer): void {
    const open = this.mappings[type];
    if (!open) return;
    delete this.mappings[type];
    const k = loadKernel32();
    k.UnmapViewOfFile(open.view);
    k.CloseHandle(open.handle);
  }

  /** A named section goes when its last handle closes: once readers let go too, the name is free. */
  remove(): void {
    this.close();
  }
}
