// A track gateway: its AC server (here the fake one, started by the demo-fakes plugin of examples/demo
// in your setup replace it with the real server's UDP plugin ports) exported over NATS as node "track1".
import { defineConfig } from '@acgateway/core';
import acudp from '@acgateway/plugin-acudp';
import nats from '@acgateway/plugin-nats';

export default defineConfig({
  server: { port: Number(process.env.TRACK1_PORT ?? 8191) },
  plugins: [
    acudp({ listenPort: Number(process.env.TRACK1_UDP ?? 12101), serverPort: Number(process.env.TRACK1_AC ?? 11101), realtimeIntervalMs: 200 }),
    nats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', node: 'track1', export: ['acudp/#'], commands: { role: 'admin' } }),
  ],
});
