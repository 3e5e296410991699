import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { API_VERSION, definePlugin, STATUS_TOPIC, type TopicStatus } from '@acgateway/core';
import { createTestHost, type TestHost } from '@acgateway/testing';
import { formatLap, gearLabel, isStale, Model, STALE_MIN_MS, STREAM_STREAK } from '../web/model.js';

// The built-in web page as HTTP serves it, and `core/status`, which feeds its gateway panel. The page
// in a real browser: web-browser.test.ts.

let t: TestHost | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A raw HTTP/1.1 request, so paths are sent exactly as written (fetch would normalise `..`). */
async function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) text += chunk;
  return { status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

const ticker = definePlugin({
  name: 'ticker',
  apiVersion: API_VERSION,
  apply(api) {
    let timer: NodeJS.Timeout | undefined;
    api.addSource({
      name: 'ticks',
      start: () => void (timer = setInterval(() => api.publish('ticker/tick', { n: 1 }), 20)),
      stop: () => clearInterval(timer),
    });
  },
});

describe('the web page over HTTP', () => {
  it('serves the page at / with a strict policy, and its files at /ui/', async () => {
    t = await createTestHost();
    const page = await fetch(t.urls.page);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    // Loopback with no token configured: the connection will be a full-control one.
    expect(html).toContain('data-access="admin"');
    expect(html).not.toContain('%ACGATEWAY_ACCESS%');
    // Everything the page loads comes from the gateway itself.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.sort()).toEqual(['ui/app.js', 'ui/favicon.svg', 'ui/style.css']);
    for (const ref of refs) {
      const res = await fetch(new URL(ref, t.urls.page));
      expect(res.status, ref).toBe(200);
      expect(res.headers.get('etag'), ref).toBeTruthy();
    }
    const js = await fetch(new URL('ui/app.js', t.urls.page));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    // app.js imports model.js relatively; it is served too.
    expect((await fetch(new URL('ui/model.js', t.urls.page))).status).toBe(200);
    // The websocket on the same path still works.
    const health = (await (await fetch(t.urls.health)).json()) as { plugins: Array<{ endpoints: Array<{ name: string }> }> };
    expect(health.plugins[0]!.endpoints.map((e) => e.name)).toEqual(['gateway', 'ui', 'http']);
  });

  it('answers what is not there with 404, and never serves files outside its folder', async () => {
    t = await createTestHost();
    expect((await fetch(new URL('ui/nope.js', t.urls.page))).status).toBe(404);
    for (const path of ['/ui/../package.json', '/ui/..%2f..%2fpackage.json', '/ui/%2e%2e/%2e%2e/package.json']) {
      const res = await rawGet(t.urls.page, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('"name"');
    }
    // The template itself is never served as a file: /ui/ and /ui/index.html send the browser to the page.
    for (const path of ['ui/', 'ui/index.html']) {
      const res = await fetch(new URL(path, t.urls.page), { redirect: 'manual' });
      expect([res.status, res.headers.get('location')], path).toEqual([302, '../']);
    }
    expect(await (await fetch(new URL('ui/index.html', t.urls.page))).text()).toContain('data-access="admin"');
    const post = await fetch(t.urls.page, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('tells the page whether its connection will need a token, by the websocket rule', async () => {
    t = await createTestHost({ config: { server: { token: 'full-secret', readToken: 'read-secret' } } });
    const access = async (query: string) => /data-access="(\w+)"/.exec(await (await fetch(`${t!.urls.page}${query}`)).text())?.[1];
    expect(await access('')).toBe('token');
    expect(await access('?token=wrong')).toBe('invalid');
    expect(await access('?token=read-secret')).toBe('read');
    expect(await access('?token=full-secret')).toBe('admin');
  });

  it('server.ui false serves no page: / is the websocket only', async () => {
    t = await createTestHost({ config: { server: { ui: false } } });
    expect((await fetch(t.urls.page)).status).toBe(426);
    expect((await fetch(new URL('ui/app.js', t.urls.page))).status).toBe(404);
  });
});

describe('core/status', () => {
  it('is retained and carries plugins, endpoints with clients, and topic rates', async () => {
    t = await createTestHost({ plugins: [ticker()], config: { server: { statusIntervalMs: 200 } } });
    const msg = await t.waitFor<{ state: string; plugins: Array<{ name: string; endpoints: Array<{ name: string; urls: string[]; clients?: number }> }>; topics: TopicStatus[] }>(
      STATUS_TOPIC,
      (m) => (m.data.topics.find((x) => x.topic === 'ticker/tick')?.rate ?? 0) > 0,
    );
    expect(msg.data.state).toBe('running');
    expect(msg.data.plugins.map((p) => p.name)).toEqual(['core', 'ticker']);
    const gateway = msg.data.plugins[0]!.endpoints.find((e) => e.name === 'gateway')!;
    expect(gateway.urls).toEqual([t.urls.gateway]);
    expect(gateway.clients).toBe(0);
    const tick = msg.data.topics.find((x) => x.topic === 'ticker/tick')!;
    // 50 a second, give or take the timers of a loaded machine.
    expect(tick.rate).toBeGreaterThan(10);
    expect(tick.rate).toBeLessThan(100);
    expect(tick.lastAt).toBeGreaterThanOrEqual(tick.firstAt);
    expect(t.host.bus.last(STATUS_TOPIC)).toBeDefined();
  });

  it('statusIntervalMs 0 publishes none', async () => {
    t = await createTestHost({ config: { server: { statusIntervalMs: 0 } } });
    expect(t.published(STATUS_TOPIC)).toEqual([]);
  });

  it('publishes a last status when the host stops', async () => {
    t = await createTestHost({ config: { server: { statusIntervalMs: 60_000 } } });
    expect(t.published(STATUS_TOPIC).map((m) => (m.data as { state: string }).state)).toEqual(['running']);
    await t.stop();
    expect(t.published(STATUS_TOPIC).map((m) => (m.data as { state: string }).state)).toEqual(['running', 'stopped']);
  });
});

describe('the page model (web/model.js)', () => {
  const msg = (topic: string, data: unknown, ts = 0) => ({ topic, ts, data });

  it('formats lap times and gears', () => {
    expect(formatLap(91234)).toBe('1:31.234');
    expect(formatLap(59_999)).toBe('0:59.999');
    expect(formatLap(null)).toBe('—');
    expect(formatLap(999999999)).toBe('—');
    expect([gearLabel(-1), gearLabel(0), gearLabel(3), gearLabel(undefined)]).toEqual(['R', 'N', '3', '–']);
  });

  it('orders the timing board by the last leaderboard and highlights a completed lap for a while', () => {
    const m = new Model();
    m.apply(
      msg('acudp/state', {
        session: { name: 'Race', sessionType: 3, track: 'monza', laps: 10 },
        cars: [
          { carId: 0, connected: true, driverName: 'Ana', carModel: 'ks_a', laps: 2, lastLapMs: 90_000, bestLapMs: 89_000 },
          { carId: 1, connected: true, driverName: 'Zoë', carModel: 'ks_b', laps: 2, lastLapMs: 88_000, bestLapMs: 88_000 },
          { carId: 2, connected: false, driverName: 'Gone', carModel: 'ks_c', laps: 0, lastLapMs: null, bestLapMs: null },
          { carId: 3, connected: true, driverName: 'Late', carModel: 'ks_d', laps: 0, lastLapMs: null, bestLapMs: null },
        ],
        leaderboard: { entries: [{ carId: 1 }, { carId: 2 }, { carId: 0 }, { carId: 3 }] },
      }),
      1000,
    );
    m.apply(msg('acudp/lap_completed', { carId: 0, lapTimeMs: 90_000, cuts: 1 }), 1000);
    const rows = m.acRows(1000);
    expect(rows.map((r) => [r.pos, r.driver])).toEqual([[1, 'Zoë'], [2, 'Ana'], [3, 'Late']]);
    expect(rows.map((r) => r.flash)).toEqual([false, true, false]);
    expect(rows[1]).toMatchObject({ last: '1:30.000', best: '1:29.000', model: 'ks_a' });
    expect(m.acRows(1000 + 3000).some((r) => r.flash)).toBe(false);
    expect(m.recentLaps[0]).toMatchObject({ driver: 'Ana', cuts: 1 });
    expect(m.acSession()).toMatchObject({ name: 'Race', type: 'Race', track: 'monza', length: '10 laps' });
    expect(m.acPositionsNote()).toBeNull();
  });

  it('marks a cut lap, says when a car has no clean lap, and follows the server when such a car leads', () => {
    const m = new Model();
    const state = (leaderboard: unknown) =>
      m.apply(
        msg('acudp/state', {
          session: { name: 'Qualify', sessionType: 2 },
          cars: [
            { carId: 0, connected: true, driverName: 'Ana', laps: 3, lastLapMs: 91_000, lastLapCuts: 2, bestLapMs: 89_500 },
            { carId: 1, connected: true, driverName: 'Cutter', laps: 2, lastLapMs: 85_000, lastLapCuts: 1, bestLapMs: null },
            { carId: 2, connected: true, driverName: 'Slow', laps: 0, lastLapMs: null, lastLapCuts: null, bestLapMs: null },
          ],
          leaderboard,
        }),
        1000,
      );
    state(null);
    // Before any lap the server has sent no standings: the board says so instead of inventing positions.
    expect(m.acPositionsNote()).toMatch(/No positions yet: the AC server sends its standings with each completed lap/);
    expect(m.acRows(1000).map((r) => r.pos)).toEqual([null, null, null]);
    // The server's order stands, even with the car that has only cut laps ahead of a clean one.
    state({ entries: [{ carId: 1 }, { carId: 0 }, { carId: 2 }] });
    expect(m.acPositionsNote()).toBeNull();
    const rows = m.acRows(1000);
    expect(rows.map((r) => [r.pos, r.driver])).toEqual([[1, 'Cutter'], [2, 'Ana'], [3, 'Slow']]);
    expect(rows[0]).toMatchObject({ last: '1:25.000', lastCut: true, best: 'no clean lap', bestMissing: true });
    expect(rows[1]).toMatchObject({ last: '1:31.000', lastCut: true, best: '1:29.500', bestMissing: false });
    expect(rows[2]).toMatchObject({ last: '—', lastCut: false, best: '—', bestMissing: false });
  });

  it('marks a panel stale after its live topic goes quiet for longer than usual', () => {
    const m = new Model();
    for (let i = 0; i < 50; i++) m.apply(msg('rf2/telemetry', { gear: 3 }), i * 20);
    expect(m.panelStale('rf2', 1000)).toBe(false);
    expect(m.panelStale('rf2', 980 + STALE_MIN_MS + 1)).toBe(true);
    // A topic never seen is not stale: its panel just waits.
    expect(m.panelStale('robocar', 1e9)).toBe(false);
    expect(isStale(1000, 2000, 1000 + 9000)).toBe(false);
    expect(isStale(1000, 2000, 1000 + 10_001)).toBe(true);
  });

  it('marks only streams stale in the topic list, by the gateway clock; event topics just idle', () => {
    const m = new Model();
    const status = (ts: number, topics: Array<{ topic: string; count: number; firstAt: number; lastAt: number }>) =>
      m.apply(msg('core/status', { plugins: [], topics: topics.map((x) => ({ ...x, rate: 0 })) }, ts), 0);
    let count = 0;
    for (let s = 1; s <= STREAM_STREAK; s++) {
      count += 50;
      status(s * 1000, [
        { topic: 'rf2/telemetry', count, firstAt: 0, lastAt: s * 1000 },
        { topic: 'acudp/chat', count: 2, firstAt: 0, lastAt: 500 },
      ]);
    }
    expect(m.topicRows().map((r) => r.stale)).toEqual([false, false]);
    // Telemetry stops at 5 s; ten seconds later both are quiet, only the stream is stale.
    status(15_000, [
      { topic: 'rf2/telemetry', count, firstAt: 0, lastAt: 5000 },
      { topic: 'acudp/chat', count: 2, firstAt: 0, lastAt: 500 },
    ]);
    const rows = m.topicRows();
    expect(rows.map((r) => [r.topic, r.stale, r.ageMs])).toEqual([
      ['rf2/telemetry', true, 10_000],
      ['acudp/chat', false, 14_500],
    ]);
  });

  it('shows a panel only when its plugin is loaded', () => {
    const m = new Model();
    expect(m.loaded('core')).toBe(false);
    m.apply(msg('core/status', { plugins: [{ name: 'core' }, { name: 'rf2' }], topics: [] }), 0);
    expect([m.loaded('core'), m.loaded('rf2'), m.loaded('acudp')]).toEqual([true, true, false]);
  });
});
