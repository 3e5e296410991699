import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { createTestHost, type TestHost } from '@acgateway/testing';
import { chromiumPath, launchChromium, noChromiumMessage } from '../../test-support/chromium.mjs';
import { demoOverrides, loadExample } from './helpers.js';

// The built-in demo config (every plugin against its fakes, on free ports and a temp folder, AC laps
// shortened to 4 s) with its live page open in a real headless Chromium: the AC board fills, the rF2
// gear changes, the camera frame shows, `help` goes through the command box, and a screenshot is
// not blank.

if (!chromiumPath) console.warn(`demo web page browser test skipped: ${noChromiumMessage}`);

let tmp: string;
let browser: Browser | undefined;
let host: TestHost | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'acgw-web-demo-'));
  if (chromiumPath) browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** Colours in an image, each channel rounded to 16 levels. */
function colours(png: PNG): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) seen.add(((png.data[i]! >> 4) << 8) | ((png.data[i + 1]! >> 4) << 4) | (png.data[i + 2]! >> 4));
  return seen.size;
}

describe.skipIf(!chromiumPath)('the demo in a browser', () => {
  it('fills the AC board, moves the rF2 gear, shows the camera, answers help, and renders', { timeout: 90_000 }, async () => {
    const { plugins, dir } = await loadExample('demo', await demoOverrides(path.join(tmp, 'demo'), { lapMs: 4000 }));
    host = await createTestHost({ plugins, configDir: dir, config: { log: { level: 'warn' } } });
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(host.urls.page);
    await page.waitForSelector('#conn[data-state="connected"]');

    // Every first-party plugin with a panel is loaded: every panel shows.
    for (const panel of ['gateway', 'ac', 'rf2', 'robocar', 'emperor', 'acws', 'command']) await page.waitForSelector(`#panel-${panel}:not([hidden])`);
    // Race control: the demo server's drivers in order; the AC server acws runs, with its sessions.
    await expect.poll(() => page.locator('#emperor-servers [data-server="demo"] tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#acws-sessions tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);

    // The AC board: the session, twelve named drivers, then positions and lap times as laps complete.
    await expect.poll(() => page.locator('#ac-session').innerText(), { timeout: 15_000 }).toContain('Practice');
    await expect.poll(() => page.locator('#ac-board tbody tr').count(), { timeout: 15_000 }).toBe(12);
    await expect.poll(() => page.locator('#ac-board tbody tr td:nth-child(3)').allInnerTexts(), { timeout: 15_000 }).not.toContainEqual(expect.stringMatching(/^car \d+$/));
    await page.waitForSelector('#ac-board tr.lap-flash', { timeout: 30_000 });
    await expect.poll(() => page.locator('#ac-board tbody tr:first-child td.pos').innerText(), { timeout: 15_000 }).toBe('1');
    const last = await page.locator('#ac-board tr.lap-flash td.last').first().innerText();
    // A lap with cuts (one demo lap in ten) carries the board's cut mark after the time.
    expect(last).toMatch(/^0:0\d\.\d{3}( cut)?$/);
    expect(await page.locator('#ac-laps li').count()).toBeGreaterThan(0);

    // The rF2 player: live numbers, and the gear changes as the simulated car drives.
    await expect.poll(() => page.locator('#rf2-gear').innerText(), { timeout: 15_000 }).toMatch(/^[1-9]$/);
    const firstGear = await page.locator('#rf2-gear').innerText();
    await expect.poll(() => page.locator('#rf2-gear').innerText(), { timeout: 30_000 }).not.toBe(firstGear);
    expect(Number(await page.locator('#rf2-speed').innerText())).toBeGreaterThan(0);
    expect(await page.locator('#rf2-who').innerText()).toContain('BMW');

    // The robocar frame is a decoded image.
    await expect.poll(() => page.locator('#robocar-img').evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);

    // help through the command box: every plugin's verbs.
    await page.fill('#command-line', 'help');
    await page.click('#command-form button');
    const reply = page.locator('#command-output .entry .reply').first();
    await expect.poll(() => reply.getAttribute('class')).toBe('reply ok');
    const verbs = (JSON.parse(await reply.innerText()) as Array<{ verb: string; plugin: string }>).map((v) => v.plugin);
    expect(new Set(verbs)).toEqual(new Set(['core', 'acudp', 'rf2', 'acws', 'emperor', 'robocar']));

    // A screenshot of the whole page is a picture, not a blank.
    const shot = await page.screenshot({ fullPage: true });
    await writeFile(path.join(tmp, 'demo-page.png'), shot);
    const png = PNG.sync.read(shot);
    expect(png.width).toBe(1400);
    expect(png.height).toBeGreaterThan(900);
    expect(colours(png)).toBeGreaterThan(50);
    expect(errors).toEqual([]);
    await page.close();
  });
});
