/**
 * Windows: the plugin's named mappings, opened read-only through kernel32 with koffi.
 * Not exercised here (no Windows machine); kept small and behind MappingOpener.
 */
import { BUFFERS, mappingName, type ReadBuffer } from '../wire/layout.js';
import { loadKoffi } from './koffi.js';
import type { MappedRegion, MappingOpener, OpenResult } from './types.js';

const FILE_MAP_READ = 0x0004;
const ERROR_FILE_NOT_FOUND = 2;

type Handle = bigint;

interface Kernel32 {
  OpenFileMappingW(access: number, inherit: boolean, name: string): Handle | null;
  MapViewOfFile(handle: Handle, access: number, offsetHigh: number, offsetLow: number, bytes: number): Handle | null;
  UnmapViewOfFile(view: Handle): boolean;
  CloseHandle(handle: Handle): boolean;
  GetLastError(): number;
}

let kernel32: Kernel32 | undefined;

function loadKernel32(): Kernel32 {
  if (!kernel32) {
    const lib = loadKoffi().load('kernel32.dll');
    // __stdcall matters on 32-bit Windows only; koffi ignores it on x64.
    kernel32 = {
      OpenFileMappingW: lib.func('void * __stdcall OpenFileMappingW(uint32_t dwDesiredAccess, bool bInheritHandle, str16 lpName)') as Kernel32['OpenFileMappingW'],
      MapViewOfFile: lib.func('void * __stdcall MapViewOfFile(void *hFileMappingObject, uint32_t dwDesiredAccess, uint32_t dwFileOffsetHigh, uint32_t dwFileOffsetLow, size_t dwNumberOfBytesToMap)') as Kernel32['MapViewOfFile'],
      UnmapViewOfFile: lib.func('bool __stdcall UnmapViewOfFile(void *lpBaseAddress)') as Kernel32['UnmapViewOfFile'],
      CloseHandle: lib.func('bool __stdcall CloseHandle(void *hObject)') as Kernel32['CloseHandle'],
      GetLastError: lib.func('uint32_t __stdcall GetLastError()') as Kernel32['GetLastError'],
    };
  }
  return kernel32;
}

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
    this.live = Buffer.from(loadKoffi().view(view, size));
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
