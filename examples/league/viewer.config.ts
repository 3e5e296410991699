// The viewer / race-control gateway: every track's AC topics on one bus, the live page and the
// gateway websocket for dashboards, and @track1 ... commands to any track.
import { defineConfig } from '@acgateway/core';
import nats from '@acgateway/plugin-nats';

export default defineConfig({
  server: { port: Number(process.env.VIEWER_PORT ?? 8190) },
  plugins: [nats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', node: 'viewer', import: ['+/acudp/#'] })],
});
