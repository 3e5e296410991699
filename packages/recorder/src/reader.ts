import { open, type FileHandle } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { checksum, CHUNK_HEADER_BYTES, ChunkKind, Codec, decodeChunkHeader, decodeRecords, FORMAT_VERSION, MAGIC, TRAILER_BYTES, TRAILER_MAGIC, type ChunkHeader, type ChunkInfo, type RecordedMessage, type RecordingHeader } from './format.js';

export class RecordingFormatError extends Error {
  override name = 'RecordingFormatError';
}

interface Chunk extends ChunkInfo {
  header: ChunkHeader;
}

/** Reads the first bytes of a file: is it an `.acgrec` recording? */
export function isAcgrec(head: Uint8Array): boolean {
  return head.length >= 8 && Buffer.from(head.buffer, head.byteOffset, 8).toString('latin1') === MAGIC;
}

/**
 * Reads a `.acgrec` recording: the header at once, the chunk list from the index (a cleanly closed
 * file) or by walking the chunk headers (a file cut short: every whole chunk with a good CRC is kept,
 * `partialTailBytes` says what was not), records on demand, chunk by chunk.
 */
export class RecordingReader {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    readonly header: RecordingHeader,
    private readonly chunkList: Chunk[],
    /** Bytes at the end that do not form a whole chunk (0 for a cleanly closed file). */
    readonly partialTailBytes: number,
    /** True when the index and trailer were found (the recorder closed the file). */
    readonly complete: boolean,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<RecordingReader> {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const head = await read(fh, 0, 16);
      if (!isAcgrec(head)) throw new RecordingFormatError(`${file} is not an acgateway recording (.acgrec): it does not start with the recording magic`);
      if (head.length < 16) throw new RecordingFormatError(`${file}: cut short inside its header`);
      const version = head.readUInt16LE(8);
      if (version !== FORMAT_VERSION) throw new RecordingFormatError(`${file}: recording format version ${version} is not supported (this reader knows ${FORMAT_VERSION})`);
      const jsonLength = head.readUInt32LE(12);
      const json = await read(fh, 16, jsonLength);
      if (json.length < jsonLength) throw new RecordingFormatError(`${file}: cut short inside its JSON header`);
      let header: RecordingHeader;
      try {
        header = JSON.parse(json.toString('utf8')) as RecordingHeader;
      } catch (err) {
        throw new RecordingFormatError(`${file}: its JSON header does not parse (${(err as Error).message})`);
      }
      const start = 16 + jsonLength;
      const indexed = await readIndex(fh, size, start);
      if (indexed) return new RecordingReader(file, fh, header, indexed, 0, true, size);
      const { chunks, end } = await walk(fh, size, start);
      return new RecordingReader(file, fh, header, chunks, size - end, false, size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** The message and keyframe chunks in file order. */
  get chunks(): readonly ChunkInfo[] {
    return this.chunkList;
  }

  get records(): number {
    return this.chunkList.reduce((n, c) => n + (c.kind === ChunkKind.Messages ? c.records : 0), 0);
  }

  /** ms from the recording start to its last record. */
  get durationMs(): number {
    return this.chunkList.at(-1)?.lastT ?? 0;
  }

  /** The records of one chunk. Throws naming the chunk when its bytes are damaged. */
  async chunkRecords(c: ChunkInfo): Promise<RecordedMessage[]> {
    const h = (c as Chunk).header;
    const stored = await read(this.fh, c.offset + CHUNK_HEADER_BYTES, h.storedBytes);
    if (checksum(stored) !== h.crc) throw new RecordingFormatError(`${this.file}: chunk at byte ${c.offset} is damaged (CRC mismatch)`);
    const raw = h.codec === Codec.Gzip ? gunzipSync(stored) : stored;
    return decodeRecords(raw);
  }

  /**
   * The messages from `fromMs` (ms since the start; default 0) in order. With `withRetained`, first
   * the retained value of each topic as it stood at `fromMs` (from the last keyframe before it and
   * the messages between), flagged retained, at time `fromMs`.
   */
  async *messages(options: { fromMs?: number; toMs?: number; withRetained?: boolean } = {}): AsyncGenerator<RecordedMessage> {
    // A rotated part starts later than 0: its start is where its keyframe stands.
    const from = Math.max(options.fromMs ?? 0, this.chunkList[0]?.firstT ?? 0);
    const to = options.toMs ?? Infinity;
    let startAt = 0;
    if (options.withRetained) {
      const state = new Map<string, RecordedMessage>();
      // The last keyframe at or before `from`, then the messages between it and `from`.
      let k = -1;
      for (let i = 0; i < this.chunkList.length; i++) {
        const c = this.chunkList[i]!;
        if (c.kind === ChunkKind.Keyframe && c.firstT <= from) k = i;
        if (c.firstT > from) break;
      }
      for (let i = Math.max(0, k); i < this.chunkList.length; i++) {
        const c = this.chunkList[i]!;
        if (c.firstT > from) break;
        if (i !== k && c.kind === ChunkKind.Keyframe) continue;
        for (const r of await this.chunkRecords(c)) if (r.retained && (c.kind === ChunkKind.Keyframe || r.t < from)) state.set(r.topic, r);
      }
      for (const r of state.values()) yield { ...r, t: from };
    }
    // Seek: the first messages chunk whose last record is at or after `from`.
    while (startAt < this.chunkList.length && (this.chunkList[startAt]!.kind !== ChunkKind.Messages || this.chunkList[startAt]!.lastT < from)) startAt++;
    for (let i = startAt; i < this.chunkList.length; i++) {
      const c = this.chunkList[i]!;
      if (c.kind !== ChunkKind.Messages) continue;
      if (c.firstT > to) return;
      for (const r of await this.chunkRecords(c)) {
        if (r.t < from) continue;
        if (r.t > to) return;
        yield r;
      }
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function read(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, position);
  return bytesRead < length ? b.subarray(0, bytesRead) : b;
}

/** The chunk list from the index a clean close wrote, or undefined when there is none (or it does not hold together). */
async function readIndex(fh: FileHandle, size: number, start: number): Promise<Chunk[] | undefined> {
  if (size < start + TRAILER_BYTES) return undefined;
  const trailer = await read(fh, size - TRAILER_BYTES, TRAILER_BYTES);
  if (trailer.toString('latin1', 8, 16) !== TRAILER_MAGIC) return undefined;
  const at = trailer.readDoubleLE(0);
  if (!Number.isInteger(at) || at < start || at + CHUNK_HEADER_BYTES > size) return undefined;
  const h = decodeChunkHeader(await read(fh, at, CHUNK_HEADER_BYTES));
  if (typeof h === 'string' || h.kind !== ChunkKind.Index) return undefined;
  const body = await read(fh, at + CHUNK_HEADER_BYTES, h.storedBytes);
  if (checksum(body) !== h.crc) return undefined;
  const entries = (JSON.parse(body.toString('utf8')) as { chunks: Array<[number, ChunkKind, number, number, number]> }).chunks;
  const chunks: Chunk[] = [];
  for (const [offset] of entries) {
    const ch = decodeChunkHeader(await read(fh, offset, CHUNK_HEADER_BYTES));
    if (typeof ch === 'string') return undefined;
    chunks.push({ offset, kind: ch.kind, firstT: ch.firstT, lastT: ch.lastT, records: ch.records, header: ch });
  }
  return chunks;
}

/** Every whole chunk from `start`, by their headers; stops at the first that is cut short or damaged. */
async function walk(fh: FileHandle, size: number, start: number): Promise<{ chunks: Chunk[]; end: number }> {
  const chunks: Chunk[] = [];
  let p = start;
  while (p + CHUNK_HEADER_BYTES <= size) {
    const h = decodeChunkHeader(await read(fh, p, CHUNK_HEADER_BYTES));
    if (typeof h === 'string') break;
    const end = p + CHUNK_HEADER_BYTES + h.storedBytes;
    if (end > size) break;
    if (h.kind === ChunkKind.Index) {
      p = end;
      break;
    }
    if (checksum(await read(fh, p + CHUNK_HEADER_BYTES, h.storedBytes)) !== h.crc) break;
    chunks.push({ offset: p, kind: h.kind, firstT: h.firstT, lastT: h.lastT, records: h.records, header: h });
    p = end;
  }
  return { chunks, end: p };
}
