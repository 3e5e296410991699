export * from './ids.js';
export type * from './types.js';
export { decodeDatagram, decodeMessageAt, formatDecodeError } from './decode.js';
export { encodeEvent, type EncodeEventOptions } from './encode.js';
export { decodeCommand, encodeCommand } from './commands.js';
export { AcspEncodeError, codePointLength } from './writer.js';
export { splitCapture, type CaptureSplit, type CapturedMessage } from './split.js';
export { acspNameOf, messageIdOf, toAcudpclient } from './compat.js';
