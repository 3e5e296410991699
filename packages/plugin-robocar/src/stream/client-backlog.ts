import type { Socket } from 'socket.io';

export interface ClientBacklog {
  /** Bytes the websocket holds, handed to it but not yet to the OS (0 for long-polling). */
  bufferedBytes: number;
  /** Bytes of packets waiting in engine.io's queue for the transport. */
  queuedBytes: number;
}

/**
 * What one client's connection holds in this process. Neither socket.io nor engine.io offers this
 * figure, so it is read from engine.io's internals, here and nowhere else: the websocket
 * transport's `socket` (a `ws` WebSocket, whose `bufferedAmount` is public) and the connection's
 * `writeBuffer`. Both are private in engine.io's types; if a version renames them this reads 0.
 * Only status reads it, never the per-tick path.
 */
export function clientBacklog(socket: Socket): ClientBacklog {
  const ws = (socket.conn.transport as unknown as { socket?: { bufferedAmount?: number } }).socket;
  const queue = (socket.conn as unknown as { writeBuffer?: Array<{ data?: string | Buffer }> }).writeBuffer ?? [];
  let queuedBytes = 0;
  for (const packet of queue) queuedBytes += packet.data?.length ?? 0;
  return { bufferedBytes: ws?.bufferedAmount ?? 0, queuedBytes };
}
