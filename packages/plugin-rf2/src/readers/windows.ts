/**
 * Windows: the plugin's named mappings, opened read-only through kernel32 with koffi. Run for real
 * under Wine by the Windows test run (`npm run test:windows`), against mappings another process made.
 */
import { BUFFERS, mappingName, type ReadBuffer } from '../wire/layout.js';
import { ERROR_FILE_NOT_FOUND, FILE_MAP_READ, loadKernel32, viewBuffer, type Handle, type Kernel32 } from './kernel32.js';
import type { MappedRegion, MappingOpener, OpenResult } from './types.js';

class ViewRegion implements MappedRegion {
  readonly kind = 'windows' as const;
  readonly outlivesWriter = true;
  /** A Buffer over the view itself; dropped before UnmapViewOfFile (touching it after would crash the process). */
  private live: Buffer | undefined;

  constructor(
    readonly location: string,
    readonly size: number,
    private readonly handle: Handle,
    private readonly view: Handle,
  ) {
    this.live = viewBuffer(view, size);
  }

  read(dest: Buffer, len: number): boolean {
    if (!this.live) return false;
    this.live.copy(dest, 0, 0, len);
    return true;
  }

  /** An open handle keeps the section alive after rF2 exits; the poller reopens idle mappings to notice. */
  gone(): string | undefined {
    return this.live ? undefined : 'closed';
  }

  close(): void {
    if (!this.live) return;
    this.live = undefined;
    const k = loadKernel32();
    k.UnmapViewOfFile(this.view);
    k.CloseHandle(this.handle);
  }
}

export interface WindowsOpenerOptions {
  /** Appended to the names: a dedicated server's process id. */
  suffix?: string;
  /** Prefix `Global\` (dedicated servers with DedicatedServerMapGlobally=1). */
  global?: boolean;
}

export class WindowsMappingOpener implements MappingOpener {
  readonly kind = 'windows' as const;

  constructor(private readonly options: WindowsOpenerOptions = {}) {}

  describe(buffer: ReadBuffer): string {
    return (this.options.global ? 'Global\\' : '') + mappingName(buffer, this.options.suffix);
  }

  open(buffer: ReadBuffer): OpenResult {
    const name = this.describe(buffer);
    const size = BUFFERS[buffer].mappingBytes;
    let k: Kernel32;
    try {
      k = loadKernel32();
    } catch (err) {
      return { ok: false, code: 'error', reason: `cannot load kernel32 through koffi: ${(err as Error).message}` };
    }
    const handle = k.OpenFileMappingW(FILE_MAP_READ, false, name);
    if (!handle) {
      const code = k.GetLastError();
      if (code === ERROR_FILE_NOT_FOUND) return { ok: false, code: 'not_found', reason: `no mapping named ${name}` };
      return { ok: false, code: 'error', reason: `OpenFileMappingW(${name}) failed with error ${code}` };
    }
    const view = k.MapViewOfFile(handle, FILE_MAP_READ, 0, 0, size);
    if (!view) {
      const code = k.GetLastError();
      k.CloseHandle(handle);
      // A mapping smaller than the layout (another plugin version) cannot be viewed at this size.
      return { ok: false, code: 'too_short', reason: `MapViewOfFile(${name}, ${size} bytes) failed with error ${code}` };
    }
    return { ok: true, region: new ViewRegion(name, size, handle, view) };
  }
}
