import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestHost, freeUdpPort, type TestHost } from '@acgateway/testing';
import { demoOverrides, examples, loadExample, type Overrides } from './helpers.js';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { Rf2Simulator } from '@acgateway/plugin-rf2/fake';
import { createSandboxServerRoot, fakeAcServerCommand } from '@acgateway/plugin-acws/fake';
import { FakeRaceControlServer } from '@acgateway/plugin-emperor/fake';
import { MjpegCameraSimulator } from '@acgateway/plugin-robocar/fake';

// Every example's config is loaded as a user's would be (cosmiconfig + the TypeScript loader), then
// started with the fakes in place of real servers: the plugins' options that point at a server, a
// folder or a port are redirected to a fake, a temp folder or port 0. Nothing else is changed.
let tmp: string;
let host: TestHost | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'acgw-examples-'));
});
afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});



async function start(name: string, overrides: Overrides) {
  const { plugins, dir, config } = await loadExample(name, overrides);
  host = await createTestHost({ plugins, configDir: dir, config: { log: { level: 'warn' }, shutdownTimeoutMs: config.shutdownTimeoutMs } });
  return host;
}

describe('examples start with fakes in place of real servers', () => {
  it('ac-live-timing: acudp against a fake AC server', async () => {
    const listenPort = await freeUdpPort();
    const fake = new FakeAcServer({ cars: 4, pluginPort: listenPort, commandPort: 0, lapMs: 3000, loadDelayMs: 10 });
    await fake.start();
    cleanups.push(() => fake.stop());
    const t = await start('ac-live-timing', { acudp: (o) => ({ ...o, listenPort, serverPort: fake.commandPort }) });
    await t.waitFor('acudp/car_update', undefined, 10_000);
    // Other commands go out too (the plugin asks about cars it has no driver for): wait for this one.
    const received = new Promise((resolve) => fake.on('command', (cmd: { type: string }) => cmd.type === 'broadcast_chat' && resolve(cmd)));
    await t.dispatch('ac broadcast "hello from the example"');
    expect(await received).toEqual({ type: 'broadcast_chat', message: 'hello from the example' });
  });

  it('rf2-dashboard: rf2 reading the simulator, with the seed feed', async () => {
    const dir = path.join(tmp, 'rf2');
    const sim = new Rf2Simulator({ dir, vehicles: 6, playerName: 'Example Driver' });
    await sim.start();
    cleanups.push(() => sim.stop());
    const t = await start('rf2-dashboard', { rf2: (o) => ({ ...o, dir, feed: { ...o.feed, port: 0 } }) });
    const tel = await t.waitFor<Record<string, unknown>>('rf2/telemetry', (m) => m.data !== null, 10_000);
    // the dashboard page reads these fields
    expect(tel.data).toHaveProperty('speedKmh');
    expect(tel.data).toHaveProperty('gear');
    expect(tel.data).toHaveProperty('throttle');
    expect(tel.data).toHaveProperty('brake');
    expect(t.urls.endpoints['rf2/feed']?.[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('ac-server-control: acws on a sandbox server folder with the fake acServer', async () => {
    const sandbox = await createSandboxServerRoot(path.join(tmp, 'ac-server'));
    const t = await start('ac-server-control', {
      acws: (o) => ({ ...o, root: sandbox.root, acws: { ...o.acws, port: 0 }, acServer: { ...o.acServer, ...fakeAcServerCommand() } }),
    });
    const info = (await t.dispatch('server info')) as Record<string, unknown>;
    expect(info).toMatchObject({ server: { track: sandbox.track, running: false } });
    await t.dispatch('server start');
    expect(await t.dispatch('server info')).toMatchObject({ server: { running: true } });
    await t.dispatch('server stop');
    expect(await t.dispatch('server info')).toMatchObject({ server: { running: false } });
  });

  it('emperor-team: emperor against a fake race-control server', async () => {
    const rc = new FakeRaceControlServer();
    await rc.start();
    cleanups.push(() => rc.stop());
    const t = await start('emperor-team', { emperor: (o) => ({ ...o, servers: o.servers.map((s: Record<string, unknown>) => ({ ...s, url: rc.url })) }) });
    await t.waitFor('emperor/york/state', undefined, 10_000);
    const status = await t.dispatch('emperor status');
    expect(JSON.stringify(status)).toContain('york');
  });

  it('robocar-camera: robocar from a simulated MJPEG camera', async () => {
    const cam = new MjpegCameraSimulator();
    const url = await cam.start();
    cleanups.push(() => cam.stop());
    const t = await start('robocar-camera', { robocar: (o) => ({ ...o, port: 0, camera: { source: 'mjpeg', url } }) });
    const frame = await t.waitFor<Record<string, unknown>>('robocar/frame', undefined, 10_000);
    expect(frame.data).toBeTruthy();
  });

  it('demo: every plugin with the demo fakes on free ports', async () => {
    const t = await start('demo', await demoOverrides(path.join(tmp, 'demo')));
    for (const topic of ['acudp/car_update', 'rf2/telemetry', 'emperor/demo/state', 'robocar/frame', 'acws/#']) {
      await t.waitFor(topic, undefined, 15_000);
    }
    // The demo's race control is a newer Server Manager: its drivers carry tyres, pit and flag state.
    const drivers = await t.waitFor<{ connected: Array<Record<string, unknown>> }>('emperor/demo/drivers', (m) => m.data.connected.length > 0, 15_000);
    for (const d of drivers.data.connected) {
      expect(d, `driver ${String(d.name)}`).toMatchObject({ tyres: expect.any(String), inPits: expect.any(Boolean), numPits: expect.any(Number), numLongPits: expect.any(Number), drsActive: expect.any(Boolean), blueFlag: expect.any(Boolean) });
    }
    // every verb the first-party plugins register is documented
    const commandsDoc = readFileSync(path.join(examples, '..', 'docs', 'commands.md'), 'utf8');
    const verbs = t.host.commands.list().filter((c) => c.plugin !== 'core' && c.plugin !== 'demo');
    expect(verbs.length).toBeGreaterThan(30);
    for (const v of verbs) expect(commandsDoc, `docs/commands.md lacks "${v.verb}" (${v.plugin})`).toContain(v.verb);
    // /health: every point in time is ms since the epoch (a key ending in "At" or "since"); durations name their unit.
    const health = await (await fetch(t.urls.health)).json();
    const times: Array<[string, unknown]> = [];
    const walk = (o: unknown, at: string): void => {
      if (!o || typeof o !== 'object') return;
      for (const [k, v] of Object.entries(o)) {
        if (/(At|^since)$/.test(k)) times.push([`${at}.${k}`, v]);
        walk(v, `${at}.${k}`);
      }
    };
    walk(health, 'health');
    expect(times.map(([k]) => k)).toEqual(expect.arrayContaining([expect.stringMatching(/lastEventAt$/), expect.stringMatching(/lastFrameAt$/)]));
    for (const [key, v] of times) {
      if (v === null || v === undefined) continue;
      expect(typeof v === 'number' && Number.isInteger(v) && v > 1e12 && v < 1e14, `${key} = ${JSON.stringify(v)}: ms since the epoch`).toBe(true);
    }
  });
});
