/**
 * Linux (rF2 under Wine/Proton): the bridges put each mapping in a folder (/dev/shm) as a file named
 * like the Windows mapping. Mapped with libc mmap through koffi; a plain pread is the fallback.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BUFFERS, mappingName, type ReadBuffer } from '../wire/layout.js';
import { loadKoffi, type KoffiModule } from './koffi.js';
import type { MappedRegion, MappingOpener, OpenResult, ReaderKind } from './types.js';

const PROT_READ = 1;
const MAP_SHARED = 1;
/** (void *)-1: what mmap returns on failure (a BigInt in koffi 3, not null). */
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
/** How often the path is looked up again to notice a removed or recreated file. */
const PATH_CHECK_MS = 1000;

interface Libc {
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): bigint | null;
  munmap(addr: bigint, length: number): number;
  lseek(fd: number, offset: number, whence: number): number | bigint;
}

const SEEK_END = 2;
/** Reads up to this many bytes are copied byte by byte. */
const SMALL_READ = 128;

let libc: Libc | undefined;

function loadLibc(k: KoffiModule): Libc {
  if (!libc) {
    // The process image already links libc; naming it would tie us to glibc's soname.
    const lib = k.load(null);
    libc = {
      mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Libc['mmap'],
      munmap: lib.func('int munmap(void *addr, size_t length)') as Libc['munmap'],
      lseek: lib.func('int64_t lseek(int fd, int64_t offset, int whence)') as Libc['lseek'],
    };
  }
  return libc;
}

/** What both file regions share: noticing that the file went away, was recreated or shrank. */
abstract class FileRegion implements MappedRegion {
  abstract readonly kind: ReaderKind;
  /** A removed or recreated file is seen by `gone()`. */
  readonly outlivesWriter = false;
  private checkedAt = Date.now();
  protected closed = false;

  constructor(
    readonly location: string,
    protected readonly fd: number,
    readonly size: number,
    private readonly ino: number,
  ) {}

  abstract read(dest: Buffer, len: number): boolean;
  /** Check the file size before every read (mmap: reading past the end of a truncated file raises SIGBUS). */
  protected abstract readonly guardSize: boolean;

  /** The file's size now. */
  protected currentSize(): number {
    return fs.fstatSync(this.fd).size;
  }

  gone(): string | undefined {
    if (this.closed) return 'closed';
    if (this.guardSize) {
      const size = this.currentSize();
      if (size < this.size) return `${this.location} shrank to ${size} bytes`;
    }
    const now = Date.now();
    if (now - this.checkedAt >= PATH_CHECK_MS) {
      this.checkedAt = now;
      const cur = fs.statSync(this.location, { throwIfNoEntry: false });
      if (!cur) return `${this.location} was removed`;
      if (cur.ino !== this.ino) return `${this.location} was recreated`;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    fs.closeSync(this.fd);
  }

  protected release(): void {}
}

class MmapRegion extends FileRegion {
  readonly kind = 'mmap' as const;
  protected readonly guardSize = true;
  private ptr: bigint;
  /** A Buffer over the mapped pages themselves (no copy); dropped before munmap, never touched after. */
  private live: Buffer | undefined;

  constructor(location: string, fd: number, size: number, ino: number) {
    super(location, fd, size, ino);
    const k = loadKoffi();
    const ptr = loadLibc(k).mmap(null, size, PROT_READ, MAP_SHARED, fd, 0);
    if (ptr === null || ptr === MAP_FAILED) throw new Error(`mmap of ${location} failed (errno ${k.errno()})`);
    this.ptr = ptr;
    this.live = Buffer.from(k.view(ptr, size));
  }

  read(dest: Buffer, len: number): boolean {
    const live = this.live;
    if (!live) return false;
    // The version block and head (a few bytes, twice a poll) in JS: cheaper than a native copy's call.
    if (len <= SMALL_READ) for (let i = 0; i < len; i++) dest[i] = live[i]!;
    else live.copy(dest, 0, 0, len);
    return true;
  }

  /**
   * lseek to the end gives the size without building a Stats object: a third of fstatSync's cost on
   * the poll's path (the regions never read at the file offset, so moving it changes nothing).
   */
  protected override currentSize(): number {
    const end = loadLibc(loadKoffi()).lseek(this.fd, 0, SEEK_END);
    return end < 0 ? fs.fstatSync(this.fd).size : Number(end);
  }

  protected override release(): void {
    this.live = undefined;
    loadLibc(loadKoffi()).munmap(this.ptr, this.size);
  }
}

class PreadRegion extends FileRegion {
  readonly kind = 'read' as const;
  /** A short read tells: the poller reopens the file. */
  protected readonly guardSize = false;

  read(dest: Buffer, len: number): boolean {
    if (this.closed) return false;
    return fs.readSync(this.fd, dest, 0, len, 0) === len;
  }
}

export interface FileOpenerOptions {
  dir: string;
  /** Appended to the mapping names (a dedicated server's process id). */
  suffix?: string;
  /** 'mmap' falls back to 'read' by itself when koffi or mmap fails. */
  mode: 'mmap' | 'read';
}

export class FileMappingOpener implements MappingOpener {
  kind: 'mmap' | 'read';

  constructor(private readonly options: FileOpenerOptions) {
    this.kind = options.mode;
  }

  describe(buffer: ReadBuffer): string {
    return path.join(this.options.dir, mappingName(buffer, this.options.suffix));
  }

  open(buffer: ReadBuffer): OpenResult {
    const file = this.describe(buffer);
    const need = BUFFERS[buffer].mappingBytes;
    let fd: number;
    let st: fs.Stats;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, code: 'not_found', reason: `${file} does not exist` };
      return { ok: false, code: 'error', reason: `cannot open ${file}: ${(err as Error).message}` };
    }
    try {
      st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch (err) {
      fs.closeSync(fd);
      return { ok: false, code: 'error', reason: `cannot use ${file}: ${(err as Error).message}` };
    }
    // Bridges may make the file bigger than the struct (page rounding, a fixed 250000-byte request).
    if (st.size < need) {
      fs.closeSync(fd);
      return { ok: false, code: 'too_short', reason: `${file} is ${st.size} bytes, shorter than the ${need}-byte ${buffer} layout` };
    }
    if (this.kind === 'mmap') {
      try {
        return { ok: true, region: new MmapRegion(file, fd, need, st.ino) };
      } catch (err) {
        this.kind = 'read';
        return { ok: true, region: new PreadRegion(file, fd, need, st.ino), note: `mmap unavailable (${(err as Error).message}); reading the files with pread instead` };
      }
    }
    return { ok: true, region: new PreadRegion(file, fd, need, st.ino) };
  }
}
