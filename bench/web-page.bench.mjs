#!/usr/bin/env node
// The live web page under load: a real host (built @acgateway/core) publishing rF2-like telemetry at
// 100, 1000 and 5000 messages a second, the page open in headless Chromium (the system's, through
// playwright-core). Measured from Chromium itself (DevTools Performance metrics): the page's main
// thread busy time, its draws per second, and how late a 50 ms timer fires (what a click would
// wait). Baseline, the same run: a bare page that only opens the websocket, subscribes to the same
// topics and JSON.parses every message, the least any page must do.
//
//   node bench/web-page.bench.mjs        (build first; BENCH_QUICK=1 for a short run)
import { API_VERSION, definePlugin, Host } from '@acgateway/core';
import { chromiumPath, launchChromium, noChromiumMessage } from '../test-support/chromium.mjs';

const quick = process.env.BENCH_QUICK === '1';
const RATES = quick ? [100, 1000] : [100, 1000, 5000];
const SECONDS = quick ? 3 : 6;
if (!chromiumPath) {
  console.log(`web-page bench skipped: ${noChromiumMessage}`);
  process.exit(0);
}

const load = { rate: 0 };
const telemetry = definePlugin({
  name: 'rf2',
  apiVersion: API_VERSION,
  apply(api) {
    let timer;
    let n = 0;
    api.addSource({
      name: 'bench-telemetry',
      start() {
        // Bursts every 10 ms, like a poller that finds several frames at once.
        timer = setInterval(() => {
          for (let i = 0; i < load.rate / 100; i++) {
            n++;
            api.publish('rf2/telemetry', { id: 7, lapNumber: 3, vehicleName: 'BMW M4 GT3 #12', trackName: 'Sim Ring', elapsedTimeS: n / 100, speedKmh: 150 + (n % 80), speedMs: 42, gear: 1 + (n % 6), rpm: 5000 + (n % 3000), maxRpm: 8500, throttle: (n % 100) / 100, brake: 0, steering: 0.1, fuelL: 40.5 });
          }
        }, 10);
      },
      stop: () => clearInterval(timer),
    });
  },
});

const host = new Host({ config: { server: { port: 0 }, log: { level: 'silent' }, plugins: [telemetry()] } });
await host.start();
const pageUrl = host.endpointUrls()['core/gateway'][0].replace(/^ws/, 'http');
const wsUrl = host.endpointUrls()['core/gateway'][0];

const browser = await launchChromium();

/** A 50 ms timer in the page that records how late it fires. */
const LATENESS_PROBE = `(() => {
  const w = window; w.__late = []; let due = performance.now() + 50;
  const tick = () => { const now = performance.now(); w.__late.push(now - due); due = now + 50; setTimeout(tick, 50); };
  setTimeout(tick, 50);
})();`;

/** The least a page must do: subscribe and parse every message. */
const BARE_PAGE = (url) => `(() => {
  const w = window; w.acgateway = { stats: { messages: 0, renders: 0 } };
  const ws = new WebSocket(${JSON.stringify(url)});
  ws.onopen = () => ws.send(JSON.stringify({ op: 'subscribe', topics: ['core/status', 'rf2/telemetry'], policy: 'latest' }));
  ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.topic) w.acgateway.stats.messages++; };
})();`;

async function measure(kind) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (kind === 'live page') {
    await page.goto(pageUrl);
    await page.waitForSelector('#panel-rf2:not([hidden])');
  } else {
    // A document of the gateway's own origin (Chromium lets only a local page open a local
    // websocket), so the two pages differ only in what they do with a message.
    await page.goto(`${pageUrl}health`);
    await page.evaluate(BARE_PAGE(wsUrl));
    await page.waitForFunction(() => window.acgateway.stats.messages > 0);
  }
  await page.evaluate(LATENESS_PROBE);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.waitForTimeout(1000); // settle: connection up, first draws done
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const stats = () => page.evaluate(() => ({ ...window.acgateway.stats, late: window.__late.splice(0) }));
  const m0 = await metrics();
  const s0 = await stats();
  await page.waitForTimeout(SECONDS * 1000);
  const m1 = await metrics();
  const s1 = await stats();
  await context.close();
  const wall = m1.Timestamp - m0.Timestamp;
  const late = s1.late.sort((a, b) => a - b);
  return {
    busy: (m1.TaskDuration - m0.TaskDuration) / wall,
    script: (m1.ScriptDuration - m0.ScriptDuration) / wall,
    layout: (m1.LayoutDuration - m0.LayoutDuration + (m1.RecalcStyleDuration - m0.RecalcStyleDuration)) / wall,
    messages: (s1.messages - s0.messages) / wall,
    draws: (s1.renders - s0.renders) / wall,
    lateP99: late[Math.min(late.length - 1, Math.floor(late.length * 0.99))] ?? 0,
  };
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;
console.log(`web page under load: ${SECONDS} s per run, Chromium ${browser.version()}, main-thread figures from DevTools`);
console.log('rate/s | page     | msgs/s | draws/s | main thread | script  | style+layout | timer late p99 | ratio busy (page/bare)');
for (const rate of RATES) {
  load.rate = rate;
  const bare = await measure('bare');
  const live = await measure('live page');
  for (const [name, r] of [['bare', bare], ['live', live]]) {
    console.log(
      `${String(rate).padStart(6)} | ${name.padEnd(8)} | ${r.messages.toFixed(0).padStart(6)} | ${r.draws.toFixed(1).padStart(7)} | ${pct(r.busy).padStart(11)} | ${pct(r.script).padStart(7)} | ${pct(r.layout).padStart(12)} | ${`${r.lateP99.toFixed(1)} ms`.padStart(14)} | ${name === 'live' ? (live.busy / Math.max(bare.busy, 1e-6)).toFixed(2) : ''}`,
    );
  }
  if (live.messages < rate * 0.5) console.log(`  note: the page received ${live.messages.toFixed(0)} msgs/s of ${rate} (the gateway conflates for a page that falls behind: latest policy)`);
}
await browser.close();
await host.stop();
