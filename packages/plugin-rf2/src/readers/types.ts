import type { ReadBuffer } from '../wire/layout.js';

/** How a mapping is reached: a Windows named mapping, a file mapped with mmap, or a file read with pread. */
export type ReaderKind = 'windows' | 'mmap' | 'read';

/**
 * One open rF2 buffer. `read` copies live bytes from offset 0 into a private Buffer; consistency is the
 * caller's business (snapshot.ts applies the version-block protocol around it).
 */
export interface MappedRegion {
  readonly kind: ReaderKind;
  /** Where it is, for messages: a file path or a mapping name. */
  readonly location: string;
  /** Bytes that may be read (the layout's mapping size). */
  readonly size: number;
  /**
   * True when holding it open keeps the data alive after rF2 exits (a Windows section), so `gone()`
   * cannot tell; the poller then reopens a view that stopped changing to find out.
   */
  readonly outlivesWriter: boolean;
  /** Copies bytes [0, len) into dest. Returns false when they could not all be read (file shrank). */
  read(dest: Buffer, len: number): boolean;
  /** Cheap check, every poll: has the mapping been removed, replaced or shrunk since it was opened? */
  gone(): string | undefined;
  close(): void;
}

export type OpenResult =
  | { ok: true; region: MappedRegion; note?: string }
  | { ok: false; code: 'not_found' | 'too_short' | 'error'; reason: string };

/** Opens the rF2 buffers one platform's way. */
export interface MappingOpener {
  readonly kind: ReaderKind;
  open(buffer: ReadBuffer): OpenResult;
  /** Where the buffer is looked for, for status messages. */
  describe(buffer: ReadBuffer): string;
}
