/**
 * The seed's rF2 WebSocket server, on the wire exactly: a websocket at ws://127.0.0.1:8080/ sending
 * every client `{"driverName","vehicleName","place","gear","brake","throttle"}` as a text frame
 * once a second. With no player there is nothing to send: clients stay connected and data resumes
 * by itself when the source finds the player again.
 */
import type { ComponentStatus, Endpoint, PluginApi } from '@acgateway/core';
import type { WebSocket } from 'ws';
import type { PlayerState } from './source.js';
import type { StatusMessage } from './messages.js';

export interface FeedOptions {
  host: string;
  port: number;
  rateHz: number;
  allowedOrigins?: string[];
}

export interface FeedSource {
  currentPlayer(): PlayerState | undefined;
  currentStatus(): StatusMessage;
}

/** A client with more than this queued is skipped for a tick: a late frame is worthless. */
const MAX_BUFFERED = 256 * 1024;

export function createFeedEndpoint(api: PluginApi, options: FeedOptions, source: FeedSource): Endpoint {
  const sent = api.metrics.counter('acgateway_rf2_feed_messages_total', 'rF2 feed messages sent to clients');
  const skipped = api.metrics.counter('acgateway_rf2_feed_skipped_total', 'rF2 feed messages not sent to a client that had too much queued');
  let timer: NodeJS.Timeout | undefined;
  let lastState: string | undefined;

  /** One serialization for every client; the metrics are counted once per tick, not once per client. */
  const frameOf = (player: PlayerState): Buffer => Buffer.from(JSON.stringify(player.feed));

  const broadcast = (clients: Iterable<WebSocket>, frame: Buffer): void => {
    let delivered = 0;
    let late = 0;
    for (const ws of clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        late++;
        continue;
      }
      // A Buffer sent with binary:false goes out as a text frame.
      ws.send(frame, { binary: false });
      delivered++;
    }
    if (delivered) sent.inc(delivered);
    if (late) skipped.inc(late);
  };

  const endpoint = api.endpoints.ws({
    name: 'feed',
    host: options.host,
    port: options.port,
    path: '/',
    auth: { allowedOrigins: options.allowedOrigins },
    // The seed sends the first message as soon as a client connects.
    onConnection: (ws) => {
      const player = source.currentPlayer();
      if (player) broadcast([ws], frameOf(player));
    },
  });

  const tick = (): void => {
    const player = source.currentPlayer();
    const status = source.currentStatus();
    const state = player ? 'sending' : status.state;
    if (state !== lastState) {
      lastState = state;
      if (player) api.logger.info({ clients: endpoint.clients() }, 'rF2 feed: sending the player\'s data');
      else api.logger.info({ clients: endpoint.clients(), state, reason: status.reason }, 'rF2 feed: no player data to send; clients stay connected');
    }
    if (!player || endpoint.wss.clients.size === 0) return;
    broadcast(endpoint.wss.clients, frameOf(player));
  };

  return {
    name: endpoint.name,
    kind: endpoint.kind,
    async start() {
      await endpoint.start();
      timer = setInterval(tick, 1000 / options.rateHz);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await endpoint.stop();
    },
    urls: () => endpoint.urls(),
    clients: () => endpoint.clients(),
    status: (): ComponentStatus => ({
      state: timer ? (source.currentPlayer() ? 'sending' : 'waiting') : 'stopped',
      reason: source.currentPlayer() ? undefined : source.currentStatus().reason,
      clients: endpoint.clients(),
    }),
  };
}
