import { createRequire } from 'node:module';
import { API_VERSION, coreServices, definePlugin, type PluginApi } from '@acgateway/core';
import { createCameraSource } from './camera/create.js';
import { CameraFeed } from './camera/feed.js';
import { robocarOptions } from './options.js';
import { createRobocarStream } from './stream/endpoint.js';
import { originsFromRetiredCors } from './stream/cors.js';
import { robocarStatusVerb } from './verbs.js';
import { robocarTopics, TOPICS } from './topics.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * `robocar({ port: 3000, camera: { source: 'test-pattern' } })`: a camera on the bus
 * (`robocar/frame`, `robocar/status`) and the robocar socket.io sensor stream.
 */
const deps = { bus: coreServices.bus, clock: coreServices.clock };
/** The plugin's context, as its parts receive it. */
export type RobocarApi = PluginApi<typeof deps>;

export const robocar = definePlugin({
  name: 'robocar',
  apiVersion: API_VERSION,
  version,
  description: 'Camera stream over socket.io, wire-compatible with the robocar sensor stream',
  options: robocarOptions,
  deps,
  topics: Object.values(robocarTopics),
  apply(api, options) {
    let feed: CameraFeed | undefined;
    if (options.camera) {
      // The test pattern encodes its tiles once the host runs: ~50 ms of jpeg-js blocking the event
      // loop during start would hold up every endpoint that starts after the camera (the gateway's
      // own /health among them: about 100 ms of the demo's start, bench/README.md).
      let hostRunning: Promise<void> = Promise.resolve();
      let running = () => {};
      api.hooks.beforeStart.tapPromise(api.name, async () => {
        hostRunning = new Promise<void>((resolve) => (running = resolve));
      });
      api.hooks.afterStart.tapPromise(api.name, async () => running());
      const camera = createCameraSource(options.camera, api.configDir, () => hostRunning);
      const cameraFeed = new CameraFeed(camera, {
        logger: api.logger,
        now: () => api.deps.clock.now(),
        publish: (frame) => api.publish(TOPICS.frame, frame, { retain: true }),
        clear: () => api.deps.bus.clearRetained(TOPICS.frame),
        countBadInput: (kind) => api.countBadInput(kind),
      });
      feed = cameraFeed;
      api.addSource({
        name: 'camera',
        start: () => cameraFeed.start(),
        stop: () => cameraFeed.stop(),
        status: () => {
          const s = cameraFeed.state();
          return { ...s, state: s.connected ? 'connected' : 'waiting' };
        },
      });
    }
    let allowedOrigins = options.allowedOrigins;
    if (options.cors !== undefined) {
      const retired = originsFromRetiredCors(options.cors);
      api.logger.warn(retired.warning);
      allowedOrigins ??= retired.allowedOrigins;
    }
    const stream = createRobocarStream(api, { ...options, allowedOrigins }, feed);
    api.addEndpoint(stream);
    api.addCommand(robocarStatusVerb(feed, stream, options.publishRate));
  },
});
