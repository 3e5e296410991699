import { crc32 } from 'node:zlib';

/**
 * The recording file format (`.acgrec`), version 1: bus messages of any topic, compressed in
 * chunks, append-only. All integers little-endian.
 *
 *   file header:
 *     0  8  magic "ACGREC\r\n" (the CR LF shows a file mangled by a text-mode transfer)
 *     8  2  u16 format version = 1
 *    10  2  u16 reserved = 0
 *    12  4  u32 N, the length of the JSON header
 *    16  N  the JSON header (UTF-8): RecordingHeader
 *   then chunks until the end of the file, each:
 *     0  4  magic "ACGC"
 *     4  1  u8 kind: 1 messages, 2 keyframe (every retained value at that time), 3 index
 *     5  1  u8 codec: 0 none, 1 gzip
 *     6  2  u16 reserved = 0
 *     8  4  u32 records in the chunk
 *    12  4  u32 L, stored (compressed) length
 *    16  4  u32 raw (uncompressed) length
 *    20  8  f64 time of the first record, ms since the recording start
 *    28  8  f64 time of the last record
 *    36  4  u32 CRC-32 of the L stored bytes
 *    40  L  the stored bytes
 *   the records of a messages or keyframe chunk, once uncompressed, each:
 *     0  8  f64 t, ms since the recording start (when the recorder received it)
 *     8  8  f64 ts, the message's own timestamp (ms since the epoch, as published)
 *    16  1  u8 flags: bit 0 = retained
 *    17  2  u16 T, topic length
 *    19  4  u32 D, data length
 *    23  T  topic (UTF-8)
 *   23+T D  data (JSON text, UTF-8)
 *   an index chunk (written by a clean close, last) holds JSON: { chunks: [[offset, kind, firstT, lastT, records]...] },
 *   and the file then ends with a 16-byte trailer: f64 offset of the index chunk, then "ACGREND\n".
 *
 * A file cut short (a killed recorder) has no trailer and may end in a partial chunk: a reader walks
 * the chunk headers (no decompression needed), keeps every whole chunk with a good CRC and reports
 * the bytes after it.
 */

export const MAGIC = 'ACGREC\r\n';
export const FORMAT_VERSION = 1;
export const CHUNK_MAGIC = 'ACGC';
export const CHUNK_HEADER_BYTES = 40;
export const RECORD_HEADER_BYTES = 23;
export const TRAILER_MAGIC = 'ACGREND\n';
export const TRAILER_BYTES = 16;

export const ChunkKind = { Messages: 1, Keyframe: 2, Index: 3 } as const;
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];
export const Codec = { None: 0, Gzip: 1 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

/** The JSON header: what was recorded, from where, by what. */
export interface RecordingHeader {
  format: 'acgrec';
  version: number;
  /** When recording began, ms since the epoch. */
  startedAt: number;
  /** The gateway recorded: its version (and URL when recorded over the websocket). */
  gateway: { version: string; url?: string; node?: string };
  /** The gateway's plugins and their versions (from its `core/status`), when it published one. */
  plugins: Array<{ name: string; version?: string; origin?: string }>;
  /** The topic patterns recorded. */
  topics: string[];
  /** What wrote the file (`acgateway record`, or the recorder plugin in a host). */
  recorder: string;
  /** 0 for the first file; n for the n-th file after a rotation. */
  part: number;
}

/** One recorded message. */
export interface RecordedMessage {
  /** ms since the recording start. */
  t: number;
  /** The message's timestamp, ms since the epoch. */
  ts: number;
  topic: string;
  /** The payload as JSON text. */
  data: string;
  retained: boolean;
}

/** Where a chunk is and what it holds. */
export interface ChunkInfo {
  offset: number;
  kind: ChunkKind;
  firstT: number;
  lastT: number;
  records: number;
}

export function encodeFileHeader(header: RecordingHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const b = Buffer.alloc(16 + json.length);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt16LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(json.length, 12);
  json.copy(b, 16);
  return b;
}

/** One record's bytes (a chunk's payload is its records one after another). */
export function encodeRecord(m: RecordedMessage): Buffer {
  const topic = Buffer.from(m.topic);
  const dataBytes = Buffer.byteLength(m.data);
  if (topic.length > 0xffff) throw new RangeError(`topic of ${topic.length} bytes is too long to record (max 65535)`);
  const b = Buffer.allocUnsafe(RECORD_HEADER_BYTES + topic.length + dataBytes);
  b.writeDoubleLE(m.t, 0);
  b.writeDoubleLE(m.ts, 8);
  b[16] = m.retained ? 1 : 0;
  b.writeUInt16LE(topic.length, 17);
  b.writeUInt32LE(dataBytes, 19);
  topic.copy(b, RECORD_HEADER_BYTES);
  b.write(m.data, RECORD_HEADER_BYTES + topic.length, 'utf8');
  return b;
}

/** Every record of an uncompressed chunk payload. Throws naming the offset when a record does not fit. */
export function decodeRecords(raw: Buffer): RecordedMessage[] {
  const out: RecordedMessage[] = [];
  let p = 0;
  while (p < raw.length) {
    if (p + RECORD_HEADER_BYTES > raw.length) throw new Error(`record at byte ${p} of a chunk is cut short`);
    const topicLen = raw.readUInt16LE(p + 17);
    const dataLen = raw.readUInt32LE(p + 19);
    const end = p + RECORD_HEADER_BYTES + topicLen + dataLen;
    if (end > raw.length) throw new Error(`record at byte ${p} of a chunk says ${topicLen + dataLen} bytes, more than the chunk holds`);
    out.push({
      t: raw.readDoubleLE(p),
      ts: raw.readDoubleLE(p + 8),
      retained: (raw[p + 16]! & 1) === 1,
      topic: raw.toString('utf8', p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + topicLen),
      data: raw.toString('utf8', p + RECORD_HEADER_BYTES + topicLen, end),
    });
    p = end;
  }
  return out;
}

export interface ChunkHeader {
  kind: ChunkKind;
  codec: Codec;
  records: number;
  storedBytes: number;
  rawBytes: number;
  firstT: number;
  lastT: number;
  crc: number;
}

export function encodeChunkHeader(h: ChunkHeader): Buffer {
  const b = Buffer.alloc(CHUNK_HEADER_BYTES);
  b.write(CHUNK_MAGIC, 0, 'latin1');
  b[4] = h.kind;
  b[5] = h.codec;
  b.writeUInt32LE(h.records, 8);
  b.writeUInt32LE(h.storedBytes, 12);
  b.writeUInt32LE(h.rawBytes, 16);
  b.writeDoubleLE(h.firstT, 20);
  b.writeDoubleLE(h.lastT, 28);
  b.writeUInt32LE(h.crc, 36);
  return b;
}

/** A chunk header, or a reason it is not one. */
export function decodeChunkHeader(b: Buffer): ChunkHeader | string {
  if (b.length < CHUNK_HEADER_BYTES) return 'cut short inside a chunk header';
  if (b.toString('latin1', 0, 4) !== CHUNK_MAGIC) return `no chunk magic "${CHUNK_MAGIC}"`;
  const kind = b[4] as ChunkKind;
  const codec = b[5] as Codec;
  if (![1, 2, 3].includes(kind)) return `unknown chunk kind ${kind}`;
  if (codec !== 0 && codec !== 1) return `unknown codec ${codec}`;
  return { kind, codec, records: b.readUInt32LE(8), storedBytes: b.readUInt32LE(12), rawBytes: b.readUInt32LE(16), firstT: b.readDoubleLE(20), lastT: b.readDoubleLE(28), crc: b.readUInt32LE(36) };
}

export function checksum(b: Uint8Array): number {
  return crc32(b) >>> 0;
}

export function encodeTrailer(indexOffset: number): Buffer {
  const b = Buffer.alloc(TRAILER_BYTES);
  b.writeDoubleLE(indexOffset, 0);
  b.write(TRAILER_MAGIC, 8, 'latin1');
  return b;
}
