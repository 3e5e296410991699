// rFactor 2 dashboard feed: the seed's JSON feed on ws://127.0.0.1:8080/ (once a second), full
// telemetry topics on the gateway websocket (ws://127.0.0.1:8090/), and a dashboard page on them at
// http://127.0.0.1:8090/dashboard (dashboard.html, served by the gateway).
import { defineConfig } from '@acgateway/core';
import rf2 from '@acgateway/plugin-rf2';

export default defineConfig({
  server: { port: 8090, pages: { '/dashboard': 'dashboard.html' } },
  plugins: [
    rf2({
      // Linux (Wine/Proton bridge): the folder holding the $rFactor2SMMP_*$ files. Ignored on Windows,
      // where the named mappings are opened.
      dir: process.env.RF2_SHM_DIR ?? '/dev/shm',
      pollHz: 50,
      feed: { host: '127.0.0.1', port: 8080, rateHz: 1, pedals: 'filtered' },
    }),
  ],
});
