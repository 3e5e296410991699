import type { Message } from '../bus.js';

const cache = new WeakMap<Message, Buffer>();

/**
 * The gateway's wire form of a bus message, `{"topic","ts","data"}` (and `"retained":true` for a
 * topic's retained value, which a recorder keeps as such), serialized once per message and
 * shared by every client (the per-client cost is only the socket write). Non-finite numbers become
 * null, as JSON.stringify does.
 */
export function encodeMessage(message: Message): Buffer {
  let buf = cache.get(message);
  if (!buf) {
    buf = Buffer.from(JSON.stringify(message.retain ? { topic: message.topic, ts: message.ts, data: message.data, retained: true } : { topic: message.topic, ts: message.ts, data: message.data }));
    cache.set(message, buf);
  }
  return buf;
}
