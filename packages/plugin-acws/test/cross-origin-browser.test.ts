import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchChromium, noChromiumMessage } from '../../../test-support/chromium.mjs';
import { startRig, type Rig } from './helpers.js';

// Cross-site websocket hijacking, tried for real: a page served from another origin
// (http://evil.example:<port>, which this Chromium resolves to 127.0.0.1) opens the gateway's
// websocket and the acws line port and tries to change the server. Both upgrades must be refused
// and server_cfg.ini must stay as it was. The same page, once its origin is listed, connects: it is
// the gateway's check that stops it, not the browser.

if (!chromiumPath) console.warn(`cross-origin browser tests skipped: ${noChromiumMessage}`);

const EVIL_PAGE = `<!doctype html><meta charset="utf-8"><title>free lap times</title><script>
window.results = {};
function attack(name, url, lines) {
  return new Promise((resolve) => {
    const r = { opened: false, replies: [] };
    window.results[name] = r;
    let ws;
    try { ws = new WebSocket(url); } catch (e) { r.error = String(e); return resolve(); }
    ws.onopen = () => {
      r.opened = true;
      for (const line of lines) ws.send(line);
      setTimeout(() => { ws.close(); resolve(); }, 1500);
    };
    ws.onmessage = (m) => r.replies.push(String(m.data).slice(0, 200));
    ws.onerror = () => { r.error = 'error'; };
    ws.onclose = (e) => { r.closeCode = e.code; if (!r.opened) resolve(); };
  });
}
window.run = (gateway, acws) => Promise.all([
  attack('gateway', gateway, [JSON.stringify({ op: 'command', id: 1, line: 'server session RACE laps 1' }), JSON.stringify({ op: 'command', id: 2, line: 'server configuration write' })]),
  attack('acws', acws, ['logon: {"username": "evil", "protocol": "0.1"}', 'server session RACE laps 1', 'server configuration write']),
]).then(() => window.results);
</script>`;

let browser: Browser | undefined;
let evil: http.Server | undefined;
let evilPort = 0;
let rig: Rig | undefined;

beforeAll(async () => {
  if (!chromiumPath) return;
  browser = await launchChromium(['--host-resolver-rules=MAP evil.example 127.0.0.1']);
  evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(EVIL_PAGE);
  });
  await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', () => r()));
  evilPort = (evil.address() as AddressInfo).port;
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
});
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function attackFromEvilPage(r: Rig): Promise<Record<string, { opened: boolean; replies: string[]; closeCode?: number }>> {
  const context = await browser!.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`http://evil.example:${evilPort}/`);
    return await page.evaluate(([g, a]) => (window as unknown as { run(g: string, a: string): Promise<never> }).run(g, a), [r.t.urls.gateway, r.lineUrl] as const);
  } finally {
    await context.close();
  }
}

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe.skipIf(!chromiumPath)('a page from another origin in a real Chromium', () => {
  it('cannot open the gateway websocket nor the acws line port, and changes no file', { timeout: 30_000 }, async () => {
    rig = await startRig();
    const cfg = path.join(rig.sandbox.root, 'cfg', 'server_cfg.ini');
    const before = await sha(cfg);
    const results = await attackFromEvilPage(rig);
    expect(results.gateway!.opened).toBe(false);
    expect(results.acws!.opened).toBe(false);
    expect(await sha(cfg)).toBe(before);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'core', kind: 'foreign_origin' })).toBe(1);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'foreign_origin' })).toBe(1);
    const refused = rig.t.logs.filter((l) => /connection refused \(403\)/.test(l.msg ?? ''));
    expect(refused.map((l) => l.origin)).toEqual([`http://evil.example:${evilPort}`, `http://evil.example:${evilPort}`]);
  });

  it('connects once its origin is listed (so it is the gateway that refused it, not the browser)', { timeout: 30_000 }, async () => {
    const origin = `http://evil.example:${evilPort}`;
    rig = await startRig({ host: { server: { allowedOrigins: [origin] } }, plugin: { acws: { port: 0, allowedOrigins: [origin] } } });
    const results = await attackFromEvilPage(rig);
    expect(results.gateway!.opened).toBe(true);
    expect(results.acws!.opened).toBe(true);
    expect(results.gateway!.replies.some((r) => r.includes('"id":1'))).toBe(true);
  });
});
