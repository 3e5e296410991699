/**
 * The seed's rF2 WebSocket server, on the wire exactly: a websocket at ws://127.0.0.1:8080/ sending
 * every client `{"driverName","vehicleName","place","gear","brake","throttle"}` as a text frame
 * once a second. With no player there is nothing to send: clients stay connected and data resumes
 * by itself when the source finds the player again.
 *
 * It is fed from the bus like every endpoint: the retained `rf2/player` (cleared while there is no
 * player) is encoded once per message and offered to every client at each tick; a client still
 * busy with earlier frames skips one (a late frame is worthless).
 */
import { broadcast, encodeOnce, type ComponentStatus, type Endpoint, type Message, type PeerLink } from '@acgateway/core';
import type { Rf2Api } from './plugin.js';
import type { FeedMessage, StatusMessage } from './messages.js';
import { encodeFeedJson } from './wire/py-json.js';

export interface FeedOptions {
  host: string;
  port: number;
  rateHz: number;
  allowedOrigins?: string[];
}

const PLAYER = 'rf2/player';
const STATUS = 'rf2/status';

/** A client with more than this queued skips a tick. */
const BUSY_BYTES = 256 * 1024;

/** The seed's frame: the feed message (the `rf2/player` payload) as the seed's Python json writes it. */
const encodeFeed = encodeOnce((m: Message) => encodeFeedJson(m.data as FeedMessage));

export function createFeedEndpoint(api: Rf2Api, options: FeedOptions): Endpoint {
  const sent = api.metrics.counter('acgateway_rf2_feed_messages_total', 'rF2 feed messages sent to clients');
  const skipped = api.metrics.counter('acgateway_rf2_feed_skipped_total', 'rF2 feed messages not sent to a client that had too much queued');
  const links = new Set<PeerLink>();
  let timer: NodeJS.Timeout | undefined;
  let lastState: string | undefined;
  const player = () => api.deps.bus.last(PLAYER);
  const status = () => api.deps.bus.last<StatusMessage>(STATUS)?.data;

  const endpoint = api.endpoints.ws({
    name: 'feed',
    host: options.host,
    port: options.port,
    path: '/',
    auth: { allowedOrigins: options.allowedOrigins },
    backpressure: { highWaterBytes: BUSY_BYTES },
    // The seed sends the first message as soon as a client connects.
    onConnection: (ws, info) => {
      links.add(info.link);
      ws.once('close', () => links.delete(info.link));
      const p = player();
      if (p && info.link.offer(encodeFeed(p))) sent.inc();
    },
  });

  const tick = (): void => {
    const p = player();
    const state = p ? 'sending' : status()?.state ?? 'not_running';
    if (state !== lastState) {
      lastState = state;
      if (p) api.logger.info({ clients: links.size }, "rF2 feed: sending the player's data");
      else api.logger.info({ clients: links.size, state, reason: status()?.reason }, 'rF2 feed: no player data to send; clients stay connected');
    }
    if (!p || links.size === 0) return;
    const r = broadcast(links, encodeFeed(p), 'offer');
    if (r.sent) sent.inc(r.sent);
    if (r.skipped) skipped.inc(r.skipped);
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
      links.clear();
    },
    urls: () => endpoint.urls(),
    clients: () => endpoint.clients(),
    status: (): ComponentStatus => ({
      state: timer ? (player() ? 'sending' : 'waiting') : 'stopped',
      reason: player() ? undefined : status()?.reason,
      clients: endpoint.clients(),
    }),
  };
}
