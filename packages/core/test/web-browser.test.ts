import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { createTestHost, type TestHost } from '@acgateway/testing';
import { chromiumPath, launchChromium, noChromiumMessage } from '../../../test-support/chromium.mjs';

// The built-in page in a real (headless) Chromium, against a host whose "rf2" plugin is a stand-in
// the test steers: its rate, a stop, a flood. What the page must survive: a topic that stops, a
// gateway restart, hundreds of messages a second, a token. The demo in a browser: examples/test.

if (!chromiumPath) console.warn(`web page browser tests skipped: ${noChromiumMessage}`);

/** Telemetry like rf2's, at a rate and burst the test sets; `running` false stops it. */
const control = { running: true, intervalMs: 20, burst: 1, gear: 1, sent: 0 };
const fakeRf2 = definePlugin({
  name: 'rf2',
  apiVersion: API_VERSION,
  apply(api) {
    let timer: NodeJS.Timeout | undefined;
    api.addSource({
      name: 'telemetry',
      start: () => {
        timer = setInterval(() => {
          if (!control.running) return;
          for (let i = 0; i < control.burst; i++) {
            control.sent++;
            const rpm = 4000 + (control.sent % 40) * 100;
            api.publish('rf2/telemetry', { vehicleName: 'Test Car', trackName: 'Test Ring', lapNumber: 2, speedKmh: 100 + (control.sent % 50), gear: control.gear, rpm, maxRpm: 9000, throttle: 0.8, brake: 0.1 });
          }
        }, control.intervalMs);
      },
      stop: () => clearInterval(timer),
    });
  },
});

let browser: Browser | undefined;
let host: TestHost | undefined;
let page: Page | undefined;
/** Uncaught errors of the page open now. */
let pageErrors: string[] = [];

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.context().close();
  page = undefined;
  await host?.stop();
  host = undefined;
  Object.assign(control, { running: true, intervalMs: 20, burst: 1, gear: 1 });
});

async function openPage(url: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  return page;
}

const text = (p: Page, selector: string) => p.locator(selector).innerText();

/** Sends a line through the command box and returns the reply's text once it came. */
async function command(p: Page, line: string): Promise<string> {
  await p.fill('#command-line', line);
  await p.click('#command-form button');
  const reply = p.locator('#command-output .entry').first().locator('.reply');
  await expect.poll(() => reply.getAttribute('class'), { timeout: 10_000 }).not.toContain('waiting');
  return reply.innerText();
}

describe.skipIf(!chromiumPath)('the web page in Chromium', { timeout: 60_000 }, () => {
  it('shows the panels of loaded plugins only, the gateway tables, and live rF2 data', async () => {
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#conn[data-state="connected"]');
    await p.waitForSelector('#panel-rf2:not([hidden])');
    await p.waitForSelector('#plugins tr[data-plugin="rf2"]');
    expect(await p.locator('#panel-ac').isHidden()).toBe(true);
    expect(await p.locator('#panel-robocar').isHidden()).toBe(true);
    expect(await text(p, '#rf2-gear')).toBe('1');
    control.gear = 4;
    await expect.poll(() => text(p, '#rf2-gear')).toBe('4');
    expect(await text(p, '#rf2-who')).toContain('Test Car');
    // The bars: throttle 0.8, brake 0.1, rpm 4000..7900 of 9000.
    const width = (id: string) => p.locator(id).evaluate((e: HTMLElement) => e.style.width);
    expect([await width('#rf2-throttle'), await width('#rf2-brake')]).toEqual(['80%', '10%']);
    expect(parseFloat(await width('#rf2-rpm-bar'))).toBeGreaterThan(40);
    expect(Number(await text(p, '#rf2-speed'))).toBeGreaterThanOrEqual(100);
    // The endpoint table counts this page's own connection; the topic table has the telemetry rate.
    await p.waitForSelector('#topics tr[data-topic="rf2/telemetry"]');
    await expect.poll(async () => Number(await text(p, '#topics tr[data-topic="rf2/telemetry"] td:nth-child(2)'))).toBeGreaterThan(5);
    const gatewayRow = p.locator('#endpoints tr', { hasText: 'core/gateway' });
    await expect.poll(() => gatewayRow.locator('td').nth(3).innerText()).toBe('1');
    expect(await gatewayRow.locator('td').nth(2).innerText()).toBe(host.urls.gateway);
    expect(pageErrors).toEqual([]);
  });

  it("shows an AC board per gateway bridged here (plugin-nats' <node>/acudp/...), with a selector, on a gateway without acudp", async () => {
    const state = (driver: string) => ({
      mode: 'udp',
      session: { name: 'Race', sessionType: 3, track: 'ks_vallelunga', laps: 10, serverName: `${driver}'s server` },
      cars: [{ carId: 0, driverName: driver, carModel: 'ks_ferrari_sf15t', connected: true, laps: 3, lastLapMs: 91234, bestLapMs: 90111 }],
      leaderboard: { entries: [{ carId: 0, timeMs: 90111, laps: 3 }] },
    });
    const bridged = definePlugin({
      name: 'nats',
      apiVersion: API_VERSION,
      apply(api) {
        api.addSource({
          name: 'fake-bridge',
          start: () => {
            api.publish('track1/acudp/state', state('Alice'), { retain: true });
            api.publish('track2/acudp/state', state('Bob'), { retain: true });
          },
          stop: () => {},
        });
      },
    });
    host = await createTestHost({ plugins: [bridged()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#panel-ac:not([hidden])');
    await p.waitForSelector('#ac-node:not([hidden])');
    expect(await p.locator('#ac-node option').allInnerTexts()).toEqual(['track1', 'track2']);
    await expect.poll(() => text(p, '#ac-board tbody')).toContain('Alice');
    expect(await text(p, '#ac-session')).toContain("Alice's server");
    await p.selectOption('#ac-node', 'track2');
    await expect.poll(() => text(p, '#ac-board tbody')).toContain('Bob');
    expect(await text(p, '#ac-board tbody')).not.toContain('Alice');
    // A lap on the board not shown does not touch the one shown; on the shown one it is listed.
    host.host.bus.publish('track1/acudp/lap_completed', { carId: 0, lapTimeMs: 89000, cuts: 0, leaderboard: [] });
    host.host.bus.publish('track2/acudp/lap_completed', { carId: 0, lapTimeMs: 88500, cuts: 1, leaderboard: [] });
    await expect.poll(() => text(p, '#ac-laps')).toContain('Bob: 1:28.500 (1 cut)');
    expect(await text(p, '#ac-laps')).not.toContain('1:29.000');
    expect(pageErrors).toEqual([]);
  });

  it('the AC board says why positions are empty before the first lap, and marks cut laps', async () => {
    const cars = [
      { carId: 0, driverName: 'Clean', carModel: 'ks_a', connected: true, laps: 0, lastLapMs: null, lastLapCuts: null, bestLapMs: null },
      { carId: 1, driverName: 'Cutter', carModel: 'ks_b', connected: true, laps: 0, lastLapMs: null, lastLapCuts: null, bestLapMs: null },
    ];
    const session = { name: 'Qualify', sessionType: 2, track: 'ks_vallelunga', timeMinutes: 15 };
    const acudp = definePlugin({
      name: 'acudp',
      apiVersion: API_VERSION,
      apply(api) {
        api.addSource({ name: 'fake', start: () => void api.publish('acudp/state', { mode: 'udp', session, cars, leaderboard: null }, { retain: true }), stop: () => {} });
      },
    });
    host = await createTestHost({ plugins: [acudp()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#ac-note:not([hidden])');
    expect(await text(p, '#ac-note')).toContain('No positions yet');
    expect(await p.locator('#ac-board td.pos').allInnerTexts()).toEqual(['–', '–']);
    // A lap each: Cutter's is faster but cut, and the server ranks him first all the same.
    host.host.bus.publish(
      'acudp/state',
      {
        mode: 'udp',
        session,
        cars: [
          { ...cars[0], laps: 1, lastLapMs: 92_000, lastLapCuts: 0, bestLapMs: 92_000 },
          { ...cars[1], laps: 1, lastLapMs: 89_000, lastLapCuts: 2, bestLapMs: null },
        ],
        leaderboard: { entries: [{ carId: 1, timeMs: 89_000, laps: 1 }, { carId: 0, timeMs: 92_000, laps: 1 }] },
      },
      { retain: true },
    );
    await p.waitForSelector('#ac-note[hidden]', { state: 'attached' });
    await expect.poll(() => p.locator('#ac-board tbody tr td:nth-child(3)').allInnerTexts()).toEqual(['Cutter', 'Clean']);
    const cutter = p.locator('#ac-board tr[data-car="1"]');
    expect(await cutter.locator('td.pos').innerText()).toBe('1');
    expect(await cutter.locator('td.last').innerText()).toBe('1:29.000 cut');
    expect(await cutter.locator('td.last').getAttribute('class')).toContain('cut');
    expect(await cutter.locator('td.best').innerText()).toBe('no clean lap');
    const clean = p.locator('#ac-board tr[data-car="0"]');
    expect([await clean.locator('td.last').innerText(), await clean.locator('td.best').innerText()]).toEqual(['1:32.000', '1:32.000']);
    expect(await clean.locator('td.cut').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('shows Emperor race control per server (positions, laps, best laps, the team) and the acws server with its buttons', async () => {
    const driver = (name: string, position: number | null, extra: Record<string, unknown> = {}) => ({ name, carModel: 'ks_mazda_mx5_cup', position, laps: 4, lastLapMs: 95_210, bestLapMs: 94_100 + (position ?? 9) * 10, inPits: false, ...extra });
    const emperor = definePlugin({
      name: 'emperor',
      apiVersion: API_VERSION,
      apply(api) {
        let timer: NodeJS.Timeout | undefined;
        api.addSource({
          name: 'race-control',
          start: () => {
            api.publish('emperor/demo/state', { server: 'demo', connection: { state: 'open' }, session: { name: 'Race', track: 'ks_vallelunga', trackConfig: 'club' } }, { retain: true });
            api.publish('emperor/demo/team', { server: 'demo', rule: { tag: '-YORK', teamName: null }, connected: [driver('Luca Rossi-YORK', 1)], disconnected: [] }, { retain: true });
            // The drivers come with each snapshot of the session, as from the real race control.
            const snapshot = () => api.publish('emperor/demo/drivers', { server: 'demo', session: { name: 'Race', type: 'race', track: 'ks_vallelunga', trackConfig: 'club' }, connected: [driver('Hugo Blanc', 3), driver('Luca Rossi', 1), driver('Ana Simic', 2, { inPits: true })], disconnected: [] });
            snapshot();
            timer = setInterval(snapshot, 200);
          },
          stop: () => clearInterval(timer),
        });
      },
    });
    const calls: string[] = [];
    const acws = definePlugin({
      name: 'acws',
      apiVersion: API_VERSION,
      apply(api) {
        const status = (running: boolean) => api.publish('acws/server/status', { state: running ? 'running' : 'stopped', running, pid: running ? 4242 : null, since: null, log_file: null }, { retain: true });
        api.addSource({ name: 'server', start: () => status(false), stop: () => {} });
        api.addCommand({ verb: 'server sessions', access: 'read', help: 'sessions', handler: () => ({ sessions: { Practice: { type: 'Practice', laps: 0, time: '10', msg: '', active: false }, Race: { type: 'Race', laps: '5', time: 0, msg: '', active: calls.includes('server start') } } }) });
        for (const verb of ['server start', 'server stop', 'server restart']) {
          api.addCommand({
            verb,
            help: verb,
            handler: () => {
              calls.push(verb);
              status(verb !== 'server stop');
              if (verb !== 'server stop') api.publish('acws/server/info', { version: 'v1.16', timestamp: '20261205_070000', track: 'ks_vallelunga', cars: 'ks_mazda_mx5_cup' }, { retain: true });
              return { msg: verb === 'server stop' ? 'AC Server server stopped' : 'AC Server started' };
            },
          });
        }
      },
    });
    host = await createTestHost({ plugins: [emperor(), acws()], config: { log: { level: 'warn' }, server: { token: 'full', readToken: 'look' } } });
    const p = await openPage(`${host.urls.page}?token=full`);
    await p.waitForSelector('#panel-emperor:not([hidden])');
    await expect.poll(() => p.locator('#emperor-servers [data-server="demo"] tbody td:nth-child(2)').allInnerTexts()).toEqual(['Luca Rossi', 'Ana Simic (pits)', 'Hugo Blanc']);
    expect(await p.locator('#emperor-servers [data-server="demo"] tbody td.pos').allInnerTexts()).toEqual(['1', '2', '3']);
    expect(await text(p, '#emperor-servers [data-server="demo"] .session')).toBe('Race · ks_vallelunga · club');
    expect(await text(p, '#emperor-servers .team')).toBe('Team (tag -YORK): P1 Luca Rossi-YORK 1:34.110');
    // acws: stopped, its configured sessions, and buttons for a full-control page.
    await p.waitForSelector('#panel-acws:not([hidden])');
    await expect.poll(() => text(p, '#acws-state')).toBe('stopped');
    await expect.poll(() => p.locator('#acws-sessions tbody tr').count()).toBe(2);
    expect(await p.locator('#acws-sessions tr[data-session="Race"] td').allInnerTexts()).toEqual(['Race', '5', '0', '']);
    await p.waitForSelector('#acws-actions:not([hidden])');
    await p.click('#acws-actions button[data-verb="server start"]');
    await expect.poll(() => text(p, '#acws-state')).toBe('running');
    expect(calls).toEqual(['server start']);
    await expect.poll(() => text(p, '#acws-info')).toContain('acServer v1.16');
    // The click went through the command path: it is in the command box with its reply.
    expect(await text(p, '#command-output .entry .line')).toBe('> server start');
    await expect.poll(() => p.locator('#acws-sessions tr[data-session="Race"] td').last().innerText()).toBe('active');
    await p.click('#acws-actions button[data-verb="server stop"]');
    await expect.poll(() => text(p, '#acws-state')).toBe('stopped');
    expect(pageErrors).toEqual([]);
    await p.context().close();

    // A read-only page sees the same panels, without the buttons.
    const r = await openPage(`${host.urls.page}?token=look`);
    await r.waitForSelector('#conn[data-state="connected"]');
    await expect.poll(() => text(r, '#role')).toBe('read-only');
    await r.waitForSelector('#panel-acws:not([hidden])');
    await expect.poll(() => r.locator('#acws-sessions tbody tr').count()).toBe(2);
    expect(await r.locator('#acws-actions').isHidden()).toBe(true);
    expect(calls).toEqual(['server start', 'server stop']);
    expect(pageErrors).toEqual([]);
  });

  it('sends a line from the command box and shows the reply or the error', async () => {
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#conn[data-state="connected"]');
    const help = JSON.parse(await command(p, 'help')) as Array<{ verb: string; plugin: string }>;
    expect(help).toContainEqual(expect.objectContaining({ verb: 'help', plugin: 'core' }));
    expect(await command(p, 'halp')).toMatch(/^UNKNOWN_VERB: unknown command "halp"; did you mean: help\?/);
  });

  it('marks a topic that stops as stale, on its panel and in the topic list, and clears the mark when it comes back', async () => {
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#panel-rf2:not([hidden])');
    await expect.poll(() => text(p, '#rf2-gear')).toBe('1');
    expect(await p.locator('#panel-rf2').getAttribute('class')).not.toContain('stale');
    // The topic list marks streams only: a topic with messages in five status intervals in a row.
    await p.waitForFunction(() => (window as any).acgateway.model.streams.get('rf2/telemetry')?.stream === true, undefined, { timeout: 15_000 });
    control.running = false;
    await p.waitForSelector('#panel-rf2.stale', { timeout: 15_000 });
    expect(await p.locator('#panel-rf2 .stale-badge').isVisible()).toBe(true);
    await p.waitForSelector('#topics tr.stale[data-topic="rf2/telemetry"]', { timeout: 15_000 });
    // core/status itself keeps coming: not stale.
    expect(await p.locator('#topics tr[data-topic="core/status"]').getAttribute('class')).toBe('');
    control.gear = 5;
    control.running = true;
    await p.waitForSelector('#panel-rf2:not(.stale)', { timeout: 5_000 });
    expect(await text(p, '#rf2-gear')).toBe('5');
    await p.waitForSelector('#topics tr[data-topic="rf2/telemetry"]:not(.stale)', { timeout: 5_000 });
  });

  it('reconnects by itself after a gateway restart, and says so', async () => {
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' } } });
    const port = Number(new URL(host.urls.page).port);
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#conn[data-state="connected"]');
    await host.stop();
    host = undefined;
    await p.waitForSelector('#conn[data-state="down"]');
    expect(await text(p, '#notice')).toMatch(/Lost the connection to the gateway.*reconnecting by itself/);
    control.gear = 3;
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' }, server: { port } } });
    await p.waitForSelector('#conn[data-state="connected"]', { timeout: 20_000 });
    expect(await text(p, '#notice')).toBe('Reconnected to the gateway.');
    // Subscriptions are made again: data flows on the new connection.
    await expect.poll(() => text(p, '#rf2-gear')).toBe('3');
    expect(await p.evaluate(() => (window as unknown as { acgateway: { stats: { connects: number } } }).acgateway.stats.connects)).toBe(2);
  });

  it('under hundreds of messages a second draws at most once per frame and stays responsive', async () => {
    // 2000 messages a second: bursts of 20 every 10 ms.
    Object.assign(control, { intervalMs: 10, burst: 20 });
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#panel-rf2:not([hidden])');
    // Count the browser's animation frames from now on, next to the page's own counters.
    const before = await p.evaluate(() => {
      const w = window as unknown as { frames_: number; acgateway: { stats: { messages: number; renders: number } } };
      w.frames_ = 0;
      const tick = () => {
        w.frames_++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      return { ...w.acgateway.stats };
    });
    // The command box answers while the flood goes on.
    expect(JSON.parse(await command(p, 'help help'))[0]).toMatchObject({ verb: 'help' });
    await p.waitForFunction((m0) => (window as unknown as { acgateway: { stats: { messages: number } } }).acgateway.stats.messages > m0 + 2000, before.messages, { timeout: 20_000 });
    const after = await p.evaluate(() => {
      const w = window as unknown as { frames_: number; acgateway: { stats: { messages: number; renders: number } } };
      return { frames: w.frames_, ...w.acgateway.stats };
    });
    const messages = after.messages - before.messages;
    const renders = after.renders - before.renders;
    expect(messages).toBeGreaterThan(2000);
    // One draw per animation frame at most (+1: a draw queued just before counting began).
    expect(renders).toBeLessThanOrEqual(after.frames + 1);
    // Many messages per draw (a page drawing per message has renders == messages).
    expect(renders).toBeLessThan(messages / 2);
  });

  it('lists the busiest 200 topics of a gateway with hundreds, and counts the rest', async () => {
    const many = definePlugin({
      name: 'many',
      apiVersion: API_VERSION,
      apply(api) {
        api.addSource({ name: 'topics', start: () => { for (let i = 0; i < 300; i++) api.publish(`many/t${i}`, { i }); }, stop: () => {} });
      },
    });
    host = await createTestHost({ plugins: [fakeRf2(), many()], config: { log: { level: 'warn' } } });
    const p = await openPage(host.urls.page);
    // 300 + rf2/telemetry + core/status = 302 topics (from the second status on): 200 rows, the
    // busiest (the telemetry) among them.
    await expect.poll(() => p.locator('#topics tr.more').innerText().catch(() => '')).toBe('… and 102 quieter topics');
    expect(await p.locator('#topics tbody tr[data-topic]').count()).toBe(200);
    await p.waitForSelector('#topics tr[data-topic="rf2/telemetry"]');
  });

  it('asks for the token a gateway requires, then connects and runs commands with it', async () => {
    host = await createTestHost({ plugins: [fakeRf2()], config: { log: { level: 'warn' }, server: { token: 'letmein' } } });
    const p = await openPage(host.urls.page);
    await p.waitForSelector('#token-form:not([hidden])');
    expect(await text(p, '#token-why')).toBe('This gateway needs a token.');
    expect(await p.locator('#conn').getAttribute('data-state')).not.toBe('connected');
    await p.fill('#token-input', 'letmein');
    await p.click('#token-form button');
    await p.waitForSelector('#conn[data-state="connected"]');
    expect(await text(p, '#role')).toBe('full control');
    expect(await p.locator('#token-form').isHidden()).toBe(true);
    expect(JSON.parse(await command(p, 'help help'))[0]).toMatchObject({ verb: 'help' });
    // The token stays for this tab: a reload connects at once.
    await p.reload();
    await p.waitForSelector('#conn[data-state="connected"]');
  });
});
