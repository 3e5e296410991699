// Assetto Corsa live timing: the server's UDP plugin protocol -> acudp/* topics on the gateway
// websocket (ws://127.0.0.1:8090/), and `ac ...` verbs (chat, kick, next session).
// In the server's cfg/server_cfg.ini: UDP_PLUGIN_ADDRESS=127.0.0.1:12000 and UDP_PLUGIN_LOCAL_PORT=11000.
import { defineConfig } from '@acgateway/core';
import acudp from '@acgateway/plugin-acudp';

export default defineConfig({
  server: { port: 8090 },
  plugins: [
    acudp({
      listenPort: Number(process.env.ACUDP_LISTEN_PORT ?? 12000),
      serverHost: process.env.ACUDP_SERVER_HOST ?? '127.0.0.1',
      serverPort: Number(process.env.ACUDP_SERVER_PORT ?? 11000),
      // Car positions five times a second (0 or absent: the server's own setting).
      realtimeIntervalMs: 200,
    }),
  ],
});
