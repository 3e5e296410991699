import type { ComponentStatus, Endpoint, Message, PeerLink, Subscription } from '@acgateway/core';
import type { RobocarApi } from '../plugin.js';
import { broadcast } from '@acgateway/core';
import { clientBacklog, encodeSocketIoEvent, socketIo } from '@acgateway/socketio';
import type { Socket } from 'socket.io';
import type { CameraFeed } from '../camera/feed.js';
import { TOPICS, type FrameMessage } from '../topics.js';
import { startTicker } from '../util/ticker.js';
import { cameraPayload, connectStatus, EVENTS, periodicStatus, pong, sensorData, type CameraPayload } from '../wire/events.js';

export interface RobocarStreamOptions {
  host: string;
  port: number;
  path: string;
  publishRate: number;
  /** Browser pages allowed besides the gateway's own (default: the host's server.allowedOrigins). */
  allowedOrigins?: string[];
}

export interface StreamFigures {
  ticks: number;
  framesSent: number;
  /** Frames skipped for clients whose connection was still busy, summed over clients. */
  framesDroppedForSlowClients: number;
  clients: number;
  /** Bytes the process holds for the most backed-up websocket client (not yet handed to the OS). */
  maxClientBufferedBytes: number;
  /** Bytes waiting in engine.io's queue for the most backed-up client (status and pong are never dropped). */
  maxClientQueuedBytes: number;
}

export interface RobocarStream extends Endpoint {
  figures(): StreamFigures;
}

/**
 * The robocar socket.io stream on core's socket.io endpoint kind: a greeting `status` to each new
 * client, then every 1/publishRate s `sensor_data` and `status` to all, and `pong` for `ping`.
 *
 * Each tick's packets are encoded once and fanned out through the clients' links (core's one road
 * to clients): `sensor_data` is offered, so a client still busy with earlier data skips a frame and
 * gets the newest at a later tick instead of a queue that grows (socket.io's volatile rule);
 * `status` and `pong` must arrive and count against the client's bound like every byte.
 */
export function createRobocarStream(api: RobocarApi, options: RobocarStreamOptions, camera: CameraFeed | undefined): RobocarStream {
  const framesSent = api.metrics.counter('robocar_frames_sent_total', 'sensor_data ticks that carried a camera frame');
  const framesDropped = api.metrics.counter('robocar_frames_dropped_total', 'Frames not sent to a client because its connection was still busy (slow client)');
  const now = () => api.deps.clock.now();
  let latest: FrameMessage | undefined;
  let subscription: Subscription | undefined;
  let stopTicker: (() => void) | undefined;
  const figures = { ticks: 0, framesSent: 0, framesDroppedForSlowClients: 0 };

  const links = new Set<PeerLink>();
  const onConnection = (socket: Socket, _io: unknown, link: PeerLink) => {
    api.logger.debug({ id: socket.id, transport: socket.conn.transport.name, remote: socket.handshake.address }, 'stream client connected');
    links.add(link);
    link.send(encodeSocketIoEvent(EVENTS.status, connectStatus()));
    socket.on(EVENTS.ping, (...args: unknown[]) => {
      const reply = pong(now());
      link.send(encodeSocketIoEvent(EVENTS.pong, reply));
      // A client that asks with an acknowledgement gets the same answer there.
      const ack = args[args.length - 1];
      if (typeof ack === 'function') (ack as (r: unknown) => void)(reply);
    });
    socket.once('disconnect', (reason) => {
      links.delete(link);
      api.logger.debug({ id: socket.id, reason }, 'stream client disconnected');
    });
  };

  const sio = api.endpoints.of(socketIo({
    name: 'stream',
    host: options.host,
    port: options.port,
    path: options.path,
    auth: { allowedOrigins: options.allowedOrigins },
    // Busy as soon as anything waits for it: a frame is skipped rather than queued behind another.
    backpressure: { highWaterBytes: 0 },
    transports: ['polling', 'websocket'],
    onConnection,
  }));
  const io = sio.io;

  // A tick that finds no new frame while frames are flowing (one came within the last 1.5 periods)
  // waits up to half a period for one: with the camera and the stream at the same rate, timer
  // jitter would otherwise turn many frames into nulls. Each tick still emits exactly once, so
  // the rate stays publishRate.
  const periodMs = 1000 / options.publishRate;
  let lastFrameAt = -Infinity;
  let waiting: NodeJS.Timeout | undefined;

  const tick = () => {
    if (waiting) emit(); // the previous tick is still waiting: emit it now, no pile-up
    if (!latest && performance.now() - lastFrameAt < 1.5 * periodMs) {
      waiting = setTimeout(emit, periodMs / 2);
      return;
    }
    emit();
  };

  const emit = () => {
    clearTimeout(waiting);
    waiting = undefined;
    const t = now();
    figures.ticks++;
    const frame = latest;
    latest = undefined;
    let cam: CameraPayload | null = null;
    if (frame) {
      cam = cameraPayload(frame.frame, frame.width, frame.height);
      framesSent.inc();
      figures.framesSent++;
    }
    const { skipped } = broadcast(links, encodeSocketIoEvent(EVENTS.sensorData, sensorData(t, cam)), 'offer');
    if (frame && skipped) {
      framesDropped.inc(skipped);
      figures.framesDroppedForSlowClients += skipped;
    }
    const status = periodicStatus(t, camera?.isConnected ?? false, sio.clients());
    broadcast(links, encodeSocketIoEvent(EVENTS.status, status), 'send');
    api.publish(TOPICS.status, status, { retain: true });
  };

  const streamFigures = (): StreamFigures => {
    let maxClientBufferedBytes = 0;
    let maxClientQueuedBytes = 0;
    for (const s of io.of('/').sockets.values()) {
      const b = clientBacklog(s);
      maxClientBufferedBytes = Math.max(maxClientBufferedBytes, b.bufferedBytes);
      maxClientQueuedBytes = Math.max(maxClientQueuedBytes, b.queuedBytes);
    }
    return { ...figures, clients: sio.clients(), maxClientBufferedBytes, maxClientQueuedBytes };
  };

  return {
    name: 'stream',
    kind: 'socket.io',
    async start() {
      // `latest` policy: only the newest frame matters; the tick takes it (once) when it runs.
      subscription = api.deps.bus.subscribe(TOPICS.frame, (m: Message) => {
        latest = m.data as FrameMessage;
        lastFrameAt = performance.now();
        if (waiting) emit();
      }, { policy: 'latest' });
      await sio.start();
      stopTicker = startTicker(options.publishRate, tick);
    },
    async stop() {
      stopTicker?.();
      stopTicker = undefined;
      clearTimeout(waiting);
      waiting = undefined;
      subscription?.unsubscribe();
      subscription = undefined;
      await sio.stop();
      links.clear();
    },
    urls: () => sio.urls(),
    clients: () => sio.clients(),
    figures: streamFigures,
    status(): ComponentStatus {
      return { state: stopTicker ? 'running' : 'stopped', publishRate: options.publishRate, ...streamFigures() };
    },
  };
}
