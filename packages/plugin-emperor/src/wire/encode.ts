import { goJson } from './go.js';
import type { RawFrame } from './raw.js';

/** One frame as Server Manager writes it: `{"EventType":n,"Message":...}`, Go-escaped, compact. */
export function encodeFrame<M>(eventType: number, message: M): string {
  const frame: RawFrame<M> = { EventType: eventType, Message: message };
  return goJson(frame);
}
