import type { Message } from '../bus.js';

const cache = new WeakMap<Message, Buffer>();

/**
 * The gateway's wire form of a bus message, `{"topic","ts","data"}`, serialized once per message and
 * shared by every client (the per-client cost is only the socket write). Non-finite numbers become
 * null, as JSON.stringify does.
 */
export function encodeMessage(message: Message): Buffer {
  let buf = cache.get(message);
  if (!buf) {
    buf = Buffer.from(JSON.stringify({ topic: message.topic, ts: message.ts, data: message.data }));
    cache.set(message, buf);
  }
  return buf;
}
