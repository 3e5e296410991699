/**
 * The recording file format (`.acudp`), version 1. All integers little-endian.
 *
 *   file header, 24 bytes:
 *     0  8  magic "ACUDPREC" (ASCII)
 *     8  2  u16 format version = 1
 *    10  2  u16 header length in bytes = 24 (a reader skips what it does not know)
 *    12  4  u32 reserved = 0
 *    16  8  f64 recording start, ms since the Unix epoch (wall clock)
 *   then records until the end of the file, each:
 *     0  8  f64 arrival time, ms since the recording start (fractional: sub-ms resolution)
 *     8  1  u8 direction: 0 = server to plugin (an event), 1 = plugin to server (a command)
 *     9  1  u8 reserved = 0
 *    10  2  u16 payload length N
 *    12  N  the UDP payload, byte for byte
 *
 * A file cut short by a crash ends in a partial record: readers keep every whole record before it.
 */

export const RECORDING_MAGIC = 'ACUDPREC';
export const RECORDING_VERSION = 1;
export const FILE_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 12;

export const Direction = { ToPlugin: 0, ToServer: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface RecordedDatagram {
  /** ms since the recording start. */
  tMs: number;
  direction: Direction;
  bytes: Buffer;
}

export interface Recording {
  version: number;
  /** ms since the Unix epoch. */
  startedAt: number;
  datagrams: RecordedDatagram[];
  /** Bytes at the end that do not form a whole record (a recording cut short). */
  partialTail: number;
}

export function isRecording(data: Buffer): boolean {
  return data.length >= 8 && data.toString('latin1', 0, 8) === RECORDING_MAGIC;
}

export function encodeFileHeader(startedAt: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  b.write(RECORDING_MAGIC, 0, 'latin1');
  b.writeUInt16LE(RECORDING_VERSION, 8);
  b.writeUInt16LE(FILE_HEADER_BYTES, 10);
  b.writeDoubleLE(startedAt, 16);
  return b;
}

export function encodeRecord(tMs: number, direction: Direction, payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`a datagram of ${payload.length} bytes does not fit a record (max 65535)`);
  const b = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  b.writeDoubleLE(tMs, 0);
  b[8] = direction;
  b[9] = 0;
  b.writeUInt16LE(payload.length, 10);
  b.set(payload, RECORD_HEADER_BYTES);
  return b;
}

/** Parses a whole recording. Throws with a clear message when the file is not one. */
export function decodeRecording(data: Buffer): Recording {
  if (!isRecording(data)) throw new Error(`not an acudp recording: the file does not start with "${RECORDING_MAGIC}"`);
  if (data.length < 12) throw new Error('acudp recording cut short inside its header');
  const version = data.readUInt16LE(8);
  const headerBytes = data.readUInt16LE(10);
  if (version !== RECORDING_VERSION) throw new Error(`acudp recording version ${version} is not supported (this reader knows version ${RECORDING_VERSION})`);
  if (headerBytes < FILE_HEADER_BYTES || data.length < headerBytes) throw new Error(`acudp recording header of ${headerBytes} bytes is invalid or cut short`);
  const startedAt = data.readDoubleLE(16);
  const datagrams: RecordedDatagram[] = [];
  let p = headerBytes;
  while (p + RECORD_HEADER_BYTES <= data.length) {
    const n = data.readUInt16LE(p + 10);
    if (p + RECORD_HEADER_BYTES + n > data.length) break;
    const direction = data[p + 8] === 1 ? Direction.ToServer : Direction.ToPlugin;
    datagrams.push({ tMs: data.readDoubleLE(p), direction, bytes: data.subarray(p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + n) });
    p += RECORD_HEADER_BYTES + n;
  }
  return { version, startedAt, datagrams, partialTail: data.length - p };
}
