export * from './wire/types.js';
export { decodeFrame, decodeSnapshot, type DecodeFailureKind, type DecodeProblem, type DecodeResult } from './wire/decode.js';
export { encodeFrame } from './wire/encode.js';
export { EventType, EVENT_NAMES, type EventTypeCode } from './wire/event-types.js';
export { formatGoDuration, formatGoTime, parseGoDuration, parseGoTime, GO_ZERO_TIME } from './wire/go.js';
export type * from './wire/raw.js';
