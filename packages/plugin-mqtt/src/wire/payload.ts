/** What goes out: the message's data as JSON (the topic and time ride in the topic and, with MQTT 5, user properties). */
export function encodePayload(data: unknown): string {
  return JSON.stringify(data ?? null);
}

/** What comes in: JSON when it parses, else the text as it is. */
export function decodePayload(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface CommandRequest {
  line: string;
  id?: string | number | null;
}

/** A command request: `{"line": "...", "id": ...}` or a bare line of text. Returns why not, as a string, when it is neither. */
export function decodeCommand(payload: Buffer): CommandRequest | string {
  const text = payload.toString('utf8').trim();
  if (!text) return 'an empty command';
  if (!text.startsWith('{')) return { line: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `malformed JSON: ${(err as Error).message}`;
  }
  const o = parsed as { line?: unknown; id?: unknown };
  if (typeof o.line !== 'string') return 'a command needs "line" (a command line)';
  const id = o.id;
  if (id !== undefined && id !== null && !(typeof id === 'string' && id.length <= 256) && !(typeof id === 'number' && Number.isFinite(id))) {
    return '"id" must be a string of at most 256 characters, a number or null';
  }
  return { line: o.line, id: id as CommandRequest['id'] };
}

/** A reply, as the gateway websocket's: `{id, data}` or `{id, error: {message, code}}`. */
export function encodeReply(id: CommandRequest['id'], outcome: { data: unknown } | { error: { message: string; code: string } }): string {
  try {
    return JSON.stringify({ id: id ?? null, ...outcome });
  } catch (err) {
    return JSON.stringify({ id: id ?? null, error: { message: `the reply could not be serialized: ${(err as Error).message}`, code: 'INTERNAL' } });
  }
}
