import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestHost, freeUdpPort, until, type TestHost } from '@acgateway/testing';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { chromiumPath, launchChromium, noChromiumMessage } from '../../test-support/chromium.mjs';
import { loadExample } from './helpers.js';

// examples/overlay in real Chromium: the gateway serves overlay.html (server.pages) and the client
// (/sdk/client.js); the page follows one car of a fake AC server and shows what the topics say.
if (!chromiumPath) console.warn(`overlay browser test skipped: ${noChromiumMessage}`);

let browser: Browser | undefined;
let host: TestHost | undefined;
let fake: FakeAcServer | undefined;
beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await host?.stop();
  await fake?.stop();
  host = undefined;
  fake = undefined;
});

describe.skipIf(!chromiumPath)('examples/overlay', () => {
  it('shows the followed car\'s driver, position, gap and last lap, live', { timeout: 60_000 }, async () => {
    const listenPort = await freeUdpPort();
    fake = new FakeAcServer({ cars: 4, pluginPort: listenPort, commandPort: 0, lapMs: 1500, loadDelayMs: 10 });
    await fake.start();
    const { plugins, dir, config } = await loadExample('overlay', { acudp: (o) => ({ ...o, listenPort, serverPort: fake!.commandPort }) });
    expect(config.server?.pages).toEqual({ '/overlay': 'overlay.html' });
    host = await createTestHost({ plugins, configDir: dir, config: { log: { level: 'warn' }, server: { ...config.server, port: 0 } } });
    const base = host.urls.health.replace(/\/health$/, '');
    const sdk = await fetch(`${base}/sdk/client.js`);
    expect(sdk.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(await sdk.text()).toMatch(/export function connect/);

    // The car: the second one to complete a lap, so it has a car ahead.
    const laps = await new Promise<Array<{ carId: number; lapTimeMs: number }>>((resolve) => {
      const seen: Array<{ carId: number; lapTimeMs: number }> = [];
      const sub = host!.host.bus.subscribe('acudp/lap_completed', (m) => {
        seen.push(m.data as { carId: number; lapTimeMs: number });
        if (seen.length === 2) { sub.unsubscribe(); resolve(seen); }
      }, { policy: 'queue', retained: false });
    });
    const car = laps[1]!.carId;
    const page = await (await browser!.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => void errors.push(e.message));
    await page.goto(`${base}/overlay?car=${car}`);
    await until('the overlay shows the car', async () => (await page.textContent('#pos')) !== '-' && (await page.textContent('#last')) !== '-', 15_000);

    // What the page shows is what the topics say (read after the page's own update: the state is retained).
    let compared: unknown;
    await until('the page caught up with the state', async () => {
      const state = host!.host.bus.last<{ cars: Array<{ carId: number; driverName: string; lastLapMs: number }>; leaderboard: { entries: Array<{ carId: number }> } }>('acudp/state')!.data;
      const me = state.cars.find((c) => c.carId === car)!;
      const pos = state.leaderboard.entries.findIndex((e) => e.carId === car) + 1;
      const last = `${Math.floor(me.lastLapMs / 60000)}:${((me.lastLapMs % 60000) / 1000).toFixed(3).padStart(6, '0')}`;
      const shown = [await page.textContent('#driver'), await page.textContent('#pos'), await page.textContent('#last')];
      const expected = [me.driverName || `car ${car}`, String(pos), last];
      compared = { shown, expected };
      return JSON.stringify(shown) === JSON.stringify(expected);
    }, 10_000).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(compared)}`);
    });
    expect(await page.textContent('#gap')).toMatch(/^(leader|\+\d+\.\d{3}|-)$/);
    expect(await page.textContent('#status')).toBe(`car ${car}`);
    // The page is the gateway's own origin: its websocket was let in without allowedOrigins.
    expect(host.host.describe().find((p) => p.name === 'core')!.endpoints.find((e) => e.name === 'gateway')!.clients).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a missing page file is a 404 naming it; pages may not take the core\'s paths', async () => {
    const { Host } = await import('@acgateway/core');
    expect(() => new Host({ config: { server: { pages: { '/health': 'x.html' } } } })).toThrow(/a page may not take \/health/);
    host = await createTestHost({ config: { log: { level: 'warn' }, server: { port: 0, pages: { '/gone': 'nope.html' } } }, configDir: '/nonexistent-dir' });
    const res = await fetch(host.urls.health.replace(/\/health$/, '/gone'));
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/nope\.html/);
  });
});
