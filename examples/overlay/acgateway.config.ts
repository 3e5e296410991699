// An OBS overlay for Assetto Corsa: position, gap to the car ahead and last lap of one car, in one
// HTML file served by the gateway itself (so it may open the gateway websocket without
// allowedOrigins) and built on @acgateway/client, which the gateway serves at /sdk/client.js.
// In OBS: a Browser source with the URL http://127.0.0.1:8090/overlay?car=3 (transparent background).
import { defineConfig } from '@acgateway/core';
import acudp from '@acgateway/plugin-acudp';

export default defineConfig({
  server: { port: 8090, pages: { '/overlay': 'overlay.html' } },
  plugins: [
    acudp({
      listenPort: Number(process.env.ACUDP_LISTEN_PORT ?? 12000),
      serverHost: process.env.ACUDP_SERVER_HOST ?? '127.0.0.1',
      serverPort: Number(process.env.ACUDP_SERVER_PORT ?? 11000),
    }),
  ],
});
