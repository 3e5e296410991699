import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { API_VERSION, ConfigError, definePlugin, z } from '@acgateway/core';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { Rf2Simulator } from '@acgateway/plugin-rf2/fake';
import { createSandboxServerRoot } from '@acgateway/plugin-acws/fake';
import { FakeRaceControlServer } from '@acgateway/plugin-emperor/fake';

/** Where the demo keeps its files: rF2 buffers and a sandbox AC server folder. */
export const DEMO_DIR = process.env.ACGATEWAY_DEMO_DIR ?? path.join(os.tmpdir(), 'acgateway-demo');

/**
 * The demo's ports: the usual ones, or every one moved by ACGATEWAY_DEMO_PORT_BASE (the gateway on
 * the base, then the rF2 feed, acws, robocar, race control, and the two AC UDP ports), so a second
 * demo, or anything else on 8090, is no obstacle.
 */
export function demoPorts(env: NodeJS.ProcessEnv = process.env) {
  const raw = env.ACGATEWAY_DEMO_PORT_BASE;
  if (!raw) return { gateway: 8090, rf2Feed: 8080, acws: 8081, robocar: 3000, raceControl: 8091, acudpPlugin: 12000, acudpCommand: 11000 };
  const base = Number(raw);
  if (!Number.isInteger(base) || base < 1024 || base > 65_529) throw new ConfigError(`ACGATEWAY_DEMO_PORT_BASE must be a port from 1024 to 65529 (the demo uses it and the next six), got "${raw}"`);
  return { gateway: base, rf2Feed: base + 1, acws: base + 2, robocar: base + 3, raceControl: base + 4, acudpPlugin: base + 5, acudpCommand: base + 6 };
}

const ports = demoPorts();

export const demoDefaults = {
  dir: DEMO_DIR,
  /** The fake AC server sends to the acudp plugin's listenPort and takes commands on commandPort. */
  acudp: { pluginPort: ports.acudpPlugin, commandPort: ports.acudpCommand, cars: 12, lapMs: 40_000 },
  /** The fake Emperor race-control server. */
  raceControl: { port: ports.raceControl },
};

async function portTaken(port: number, kind: 'tcp' | 'udp'): Promise<boolean> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    return new Promise((resolve) => {
      s.once('error', () => resolve(true));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
  }
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

const options = z
  .object({
    dir: z.string().default(demoDefaults.dir),
    acudp: z
      .object({
        enabled: z.boolean().default(true),
        pluginPort: z.number().int().default(demoDefaults.acudp.pluginPort),
        commandPort: z.number().int().default(demoDefaults.acudp.commandPort),
        cars: z.number().int().min(1).max(64).default(demoDefaults.acudp.cars),
        /** Length of a lap of the fake AC server's cars, ms. */
        lapMs: z.number().int().min(1000).default(demoDefaults.acudp.lapMs),
      })
      .prefault({}),
    rf2: z.object({ enabled: z.boolean().default(true), vehicles: z.number().int().min(1).max(128).default(16) }).prefault({}),
    raceControl: z.object({ enabled: z.boolean().default(true), port: z.number().int().default(demoDefaults.raceControl.port) }).prefault({}),
    acServer: z.object({ enabled: z.boolean().default(true) }).prefault({}),
    /** The other plugins' TCP ports, checked as the demo starts (before any is bound), so a taken one is explained. */
    checkPorts: z.array(z.number().int()).default([]),
  })
  .strict();

/** The rF2 buffers folder and the sandbox AC server root inside the demo folder. */
export const demoPaths = (dir: string = DEMO_DIR) => ({ rf2: path.join(dir, 'rf2-shm'), acServer: path.join(dir, 'ac-server') });

/**
 * The built-in demo's stand-ins for real simulators and servers, run as sources of an ordinary
 * plugin: list it first so they are up before the plugins that connect to them. Nothing here
 * talks to anything outside 127.0.0.1.
 */
export const demoFakes = definePlugin({
  name: 'demo',
  apiVersion: API_VERSION,
  version: '0.1.0',
  description: 'Local fakes for the built-in demo',
  options,
  async apply(api, o) {
    const wanted: Array<[number, 'tcp' | 'udp']> = [...o.checkPorts.map((p): [number, 'tcp'] => [p, 'tcp'])];
    if (o.acudp.enabled) wanted.push([o.acudp.pluginPort, 'udp'], [o.acudp.commandPort, 'udp']);
    if (o.raceControl.enabled) wanted.push([o.raceControl.port, 'tcp']);
    // Checked as the demo starts (its first source: sources start before any endpoint, this plugin
    // first), not as the config loads: `acgateway plugins` or `asyncapi` on it work while a demo runs.
    api.addSource({
      name: 'ports',
      async start() {
        for (const [port, kind] of wanted) {
          if (await portTaken(port, kind)) {
            throw new ConfigError(`the demo's ${kind.toUpperCase()} port ${port} is taken (another demo running?): stop what uses it, or move every demo port with ACGATEWAY_DEMO_PORT_BASE=9000 npm start`);
          }
        }
      },
      stop() {},
      status: () => ({ state: 'running', checked: wanted.map(([port, kind]) => `${kind}/${port}`) }),
    });
    const paths = demoPaths(o.dir);
    if (o.acServer.enabled && !existsSync(path.join(paths.acServer, 'cfg', 'server_cfg.ini'))) {
      // The acws plugin reads this folder when it starts; written once, kept between runs.
      await createSandboxServerRoot(paths.acServer, { name: 'acgateway demo server' });
      api.logger.info({ root: paths.acServer }, 'sandbox AC server folder written');
    }

    if (o.acudp.enabled) {
      const fake = new FakeAcServer({ cars: o.acudp.cars, pluginPort: o.acudp.pluginPort, commandPort: o.acudp.commandPort, lapMs: o.acudp.lapMs, midSession: true, chatEveryMs: 15_000, collisionEveryMs: 6_000, churnEveryMs: 45_000 });
      api.addSource({
        name: 'fake-ac-server',
        start: () => fake.start(),
        stop: () => fake.stop(),
        status: () => ({ state: 'running', sendsTo: `udp://127.0.0.1:${o.acudp.pluginPort}`, commands: `udp://127.0.0.1:${o.acudp.commandPort}` }),
      });
    }

    if (o.rf2.enabled) {
      const sim = new Rf2Simulator({ dir: paths.rf2, vehicles: o.rf2.vehicles, playerName: 'Demo Driver', removeOnStop: true });
      api.addSource({ name: 'rf2-simulator', start: () => sim.start(), stop: () => sim.stop(), status: () => ({ state: 'running', dir: paths.rf2 }) });
    }

    if (o.raceControl.enabled) {
      // A newer Server Manager: snapshots carry Tyres, IsInPits, NumPits, NumLongPits, DRSActive, BlueFlag.
      const rc = new FakeRaceControlServer({ port: o.raceControl.port, race: { v2: true } });
      api.addSource({
        name: 'fake-race-control',
        start: async () => {
          await rc.start();
          rc.startLive();
        },
        stop: () => rc.stop(),
        status: () => ({ state: 'running', url: rc.url }),
      });
    }
  },
});

export default demoFakes;
