// The built-in demo: every first-party plugin, each against a local stand-in for the real thing.
// `npm start` runs it. To use a real server instead, drop the `demoFakes(...)` line and point each
// plugin at your server (see each example folder next to this one).
import { defineConfig } from '@acgateway/core';
import acudp from '@acgateway/plugin-acudp';
import rf2 from '@acgateway/plugin-rf2';
import acws from '@acgateway/plugin-acws';
import { fakeAcServerCommand } from '@acgateway/plugin-acws/fake';
import emperor from '@acgateway/plugin-emperor';
import robocar from '@acgateway/plugin-robocar';
import { demoDefaults, demoFakes, demoPaths, demoPorts } from './demo-fakes.js';

const paths = demoPaths();
// ACGATEWAY_DEMO_PORT_BASE=9000 npm start moves every port (9000 the gateway, 9001 the rF2 feed ...).
const ports = demoPorts();

export default defineConfig({
  server: { host: '127.0.0.1', port: ports.gateway },
  log: { level: 'info' },
  plugins: [
    // Listed first: its sources (fake AC server, rF2 simulator, fake race control) start first.
    demoFakes({ checkPorts: [ports.gateway, ports.rf2Feed, ports.acws, ports.robocar] }),
    // Assetto Corsa server UDP plugin protocol: live timing from the fake AC server.
    acudp({ listenPort: demoDefaults.acudp.pluginPort, serverPort: demoDefaults.acudp.commandPort, realtimeIntervalMs: 200 }),
    // rFactor 2 shared memory, read from the simulator's files; the seed's JSON feed on ws://127.0.0.1:8080/.
    rf2({ dir: paths.rf2, pollHz: 50, feed: { port: ports.rf2Feed, rateHz: 1 } }),
    // AC server control: a sandbox server folder with a fake acServer, line protocol on ws://127.0.0.1:8081/.
    acws({
      root: paths.acServer,
      acws: { port: ports.acws },
      acServer: { ...fakeAcServerCommand(), autoStart: true },
      stracker: { enabled: false },
      lobby: { baseUrl: 'http://127.0.0.1:9/' },
    }),
    // Emperor race control: drivers and timing from the fake race-control server.
    emperor({ servers: [{ name: 'demo', url: `ws://127.0.0.1:${demoDefaults.raceControl.port}/api/race-control`, teamTag: '-YORK' }] }),
    // The robocar camera stream on http://127.0.0.1:3000/socket.io/, from a generated test pattern.
    robocar({ port: ports.robocar, publishRate: 10, camera: { source: 'test-pattern' } }),
  ],
});
