// Emperor Servers (Assetto Corsa Server Manager) race control: drivers, timing and your team's
// drivers on emperor/<server>/* topics. The URL below is an example of a public Server Manager.
import { defineConfig } from '@acgateway/core';
import emperor from '@acgateway/plugin-emperor';

export default defineConfig({
  server: { port: 8090 },
  plugins: [
    emperor({
      servers: [
        {
          name: 'york',
          url: process.env.EMPEROR_URL ?? 'wss://yorkfs.emperorservers.com/api/race-control',
          teamTag: '-YORK',
        },
      ],
      reconnect: { initialMs: 1000, maxMs: 30000 },
    }),
  ],
});
