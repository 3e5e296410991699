// Assetto Corsa server control: start/stop acServer, edit sessions, build the grid from the last
// race, over the original line protocol (ws://127.0.0.1:8081/) and the gateway (`acgateway exec`).
import { defineConfig } from '@acgateway/core';
import acws from '@acgateway/plugin-acws';

export default defineConfig({
  server: { port: 8090 },
  plugins: [
    acws({
      // The acServer folder (cfg/, results/, logs/).
      root: process.env.AC_SERVER_ROOT ?? '/srv/assetto',
      acws: { host: '127.0.0.1', port: 8081 },
      acServer: { command: { win32: 'acServer.exe', default: './acServer' }, autoStart: false, stopTimeoutMs: 5000 },
      stracker: { enabled: false },
    }),
  ],
});
