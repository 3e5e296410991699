import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import { Rf2Simulator } from '@acgateway/plugin-rf2/fake';
import { chromiumPath, launchChromium, noChromiumMessage } from '../../test-support/chromium.mjs';
import { loadExample } from './helpers.js';

// examples/rf2-dashboard in real Chromium: the gateway serves dashboard.html (server.pages) and the
// client; the page shows what rf2/telemetry and rf2/player say about the simulator's player.
if (!chromiumPath) console.warn(`rf2-dashboard browser test skipped: ${noChromiumMessage}`);

let browser: Browser | undefined;
let host: TestHost | undefined;
let sim: Rf2Simulator | undefined;
let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await host?.stop();
  sim?.stop();
  await tmp?.remove();
  host = sim = tmp = undefined;
});

describe.skipIf(!chromiumPath)('examples/rf2-dashboard', () => {
  it('shows the player\'s speed, gear, pedals and place, live, and rf2/status without rF2', { timeout: 60_000 }, async () => {
    tmp = await tempDir('acgw-rf2-dash-');
    const dir = path.join(tmp.dir, 'shm');
    const { plugins, dir: configDir, config } = await loadExample('rf2-dashboard', { rf2: (o) => ({ ...o, dir, feed: { ...(o.feed as object), port: 0 } }) });
    expect(config.server?.pages).toEqual({ '/dashboard': 'dashboard.html' });
    host = await createTestHost({ plugins, configDir, config: { log: { level: 'warn' }, server: { ...config.server, port: 0 } } });
    const base = host.urls.health.replace(/\/health$/, '');
    const page = await (await browser!.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => void errors.push(e.message));
    await page.goto(`${base}/dashboard`);
    // No rF2 yet: the retained status says why.
    await until('the status', async () => /^not_running: /.test((await page.textContent('#status')) ?? ''), 15_000);

    sim = new Rf2Simulator({ dir, vehicles: 5, playerName: 'Dash Driver' });
    sim.start();
    await until('the player shown', async () => /^Dash Driver \(.+\): P\d+$/.test((await page.textContent('#place')) ?? ''), 15_000);
    await until('moving', async () => Number(await page.textContent('#speed')) > 20, 15_000);
    expect(await page.textContent('#status')).toBe('connected: ' + (host.host.bus.last<{ reason: string }>('rf2/status')!.data.reason));
    // What it shows is what the topics say (the player's place from rf2/player).
    const player = host.host.bus.last<{ place: number }>('rf2/player')!.data;
    expect(await page.textContent('#place')).toContain(`P${player.place}`);
    expect(await page.textContent('#gear')).toMatch(/^(R|N|[1-9])$/);
    expect(await page.$eval('#throttle', (e) => (e as HTMLElement).style.width)).toMatch(/^\d+%$/);
    expect(errors).toEqual([]);
  });
});
