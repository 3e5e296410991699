import type { CommandSpec } from '@acgateway/core';
import type { CameraFeed } from './camera/feed.js';
import type { RobocarStream } from './stream/endpoint.js';

/** `robocar status`: the camera and the socket.io stream. */
export function robocarStatusVerb(feed: CameraFeed | undefined, stream: RobocarStream, publishRate: number): CommandSpec {
  return {
    verb: 'robocar status',
    access: 'read',
    help: 'The camera (source, connected or why not, frames, size) and the socket.io stream (clients, rate, frames sent and dropped)',
    handler: () => ({
      camera: feed ? feed.state() : null,
      stream: { urls: stream.urls(), publishRate, ...stream.figures() },
    }),
  };
}
