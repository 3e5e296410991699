import { decodeMessageAt } from './decode.js';
import { asBuffer } from './reader.js';
import type { AcspEvent, DecodeError } from './types.js';

export interface CapturedMessage {
  /** Where the message starts in the capture. */
  offset: number;
  length: number;
  /** The message's bytes (a view into the capture, not a copy). */
  bytes: Buffer;
  event: AcspEvent;
}

export interface CaptureSplit {
  messages: CapturedMessage[];
  /**
   * Set when parsing stopped before the end: with no length field, nothing after an unreadable
   * message can be found. `offset` here is absolute in the capture.
   */
  error?: DecodeError & { at: number };
}

/**
 * Splits a raw capture (UDP payloads laid end to end, like acudpclient's `ac_out`) back into
 * messages by parsing each layout.
 */
export function splitCapture(data: Uint8Array): CaptureSplit {
  const buf = asBuffer(data);
  const messages: CapturedMessage[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const r = decodeMessageAt(buf, offset);
    if (!r.ok) return { messages, error: { ...r.error, at: offset + r.error.offset } };
    messages.push({ offset, length: r.length, bytes: buf.subarray(offset, offset + r.length), event: r.value });
    offset += r.length;
  }
  return { messages };
}
