/**
 * The few kernel32 calls behind rF2's named mappings, bound through koffi on first use. The reader
 * opens and views; the package's own writer (fake/mapping-writer.ts, the Windows test run) creates.
 * Exercised under Wine by the Windows test run (`npm run test:windows`).
 */
import { loadKoffi } from './koffi.js';

export const FILE_MAP_WRITE = 0x0002;
export const FILE_MAP_READ = 0x0004;
export const PAGE_READWRITE = 0x04;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_ALREADY_EXISTS = 183;
/** `INVALID_HANDLE_VALUE` as CreateFileMappingW's hFile: a section backed by the paging file. */
export const PAGING_FILE = -1;

/** koffi hands opaque pointers (handles, views) back as bigint on x64. */
export type Handle = bigint;

export interface Kernel32 {
  OpenFileMappingW(access: number, inherit: boolean, name: string): Handle | null;
  CreateFileMappingW(file: number, attributes: null, protect: number, sizeHigh: number, sizeLow: number, name: string): Handle | null;
  MapViewOfFile(handle: Handle, access: number, offsetHigh: number, offsetLow: number, bytes: number): Handle | null;
  UnmapViewOfFile(view: Handle): boolean;
  CloseHandle(handle: Handle): boolean;
  GetLastError(): number;
}

let kernel32: Kernel32 | undefined;

export function loadKernel32(): Kernel32 {
  if (!kernel32) {
    const lib = loadKoffi().load('kernel32.dll');
    // __stdcall matters on 32-bit Windows only; koffi ignores it on x64.
    kernel32 = {
      OpenFileMappingW: lib.func('void * __stdcall OpenFileMappingW(uint32_t dwDesiredAccess, bool bInheritHandle, str16 lpName)') as Kernel32['OpenFileMappingW'],
      CreateFileMappingW: lib.func('void * __stdcall CreateFileMappingW(intptr_t hFile, void *lpAttributes, uint32_t flProtect, uint32_t dwMaximumSizeHigh, uint32_t dwMaximumSizeLow, str16 lpName)') as Kernel32['CreateFileMappingW'],
      MapViewOfFile: lib.func('void * __stdcall MapViewOfFile(void *hFileMappingObject, uint32_t dwDesiredAccess, uint32_t dwFileOffsetHigh, uint32_t dwFileOffsetLow, size_t dwNumberOfBytesToMap)') as Kernel32['MapViewOfFile'],
      UnmapViewOfFile: lib.func('bool __stdcall UnmapViewOfFile(void *lpBaseAddress)') as Kernel32['UnmapViewOfFile'],
      CloseHandle: lib.func('bool __stdcall CloseHandle(void *hObject)') as Kernel32['CloseHandle'],
      GetLastError: lib.func('uint32_t __stdcall GetLastError()') as Kernel32['GetLastError'],
    };
  }
  return kernel32;
}

/** A Buffer over `bytes` of a mapped view. Touching it after UnmapViewOfFile would crash the process. */
export function viewBuffer(view: Handle, bytes: number): Buffer {
  return Buffer.from(loadKoffi().view(view, bytes));
}
