// A track gateway: its AC server (here the fake one, started by the demo-fakes plugin of examples/demo
// in your setup replace it with the real server's UDP plugin ports) exported over NATS as node "track2".
import { defineConfig } from '@acgateway/core';
import acudp from '@acgateway/plugin-acudp';
import nats from '@acgateway/plugin-nats';

export default defineConfig({
  server: { port: Number(process.env.TRACK2_PORT ?? 8192) },
  plugins: [
    acudp({ listenPort: Number(process.env.TRACK2_UDP ?? 12102), serverPort: Number(process.env.TRACK2_AC ?? 11102), realtimeIntervalMs: 200 }),
    nats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', node: 'track2', export: ['acudp/#'], commands: { role: 'admin' } }),
  ],
});
