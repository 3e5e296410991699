import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost, upgradeStatus, type TestHost } from '@acgateway/testing';
import { API_VERSION, CLOSE_TOO_SLOW, definePlugin, Host } from '@acgateway/core';
import { gatewayClient, sleep } from './helpers.js';

// Issue 13's holes, each a regression test: foreign pages, tokens on loopback, a frame that once
// overflowed the stack, a client that asks and never reads, the HTTP methods and paths.

const verbs = definePlugin({
  name: 'v',
  apiVersion: API_VERSION,
  apply(api) {
    api.addCommand({ verb: 'v set', args: [{ name: 'n', type: 'int' }], help: 'changes something', handler: ({ args }) => ({ set: args.n }) });
    api.addCommand({ verb: 'v big', access: 'read', help: 'a 64 KiB reply', handler: () => ({ blob: 'z'.repeat(64 * 1024) }) });
  },
});

let t: TestHost | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('browser origins', () => {
  it('refuses a page from another origin at the upgrade (403), whatever the bind; its own page, listed pages and scripts connect', async () => {
    t = await createTestHost({ plugins: [verbs()], config: { server: { allowedOrigins: ['https://league.example'] } } });
    const url = t.urls.gateway;
    const port = new URL(url).port;
    const evil = await upgradeStatus(url, { origin: 'http://evil.example:18999' });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatch(/evil\.example:18999.*allowedOrigins/);
    // DNS rebinding: a name that resolves here, with a Host header to match, is still not this gateway's page.
    const rebound = await upgradeStatus(url.replace('127.0.0.1', 'localhost'), { origin: `http://evil.example:${port}`, host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect((await upgradeStatus(url, { origin: 'null' })).status).toBe(403);
    for (const ok of [{ origin: `http://127.0.0.1:${port}` }, { origin: 'https://league.example' }, {}]) {
      expect((await upgradeStatus(url, ok)).status, JSON.stringify(ok)).toBe(101);
    }
    expect(await t.metric('acgateway_bad_input_total', { plugin: 'core', kind: 'foreign_origin' })).toBe(3);
    expect(t.logs.some((l) => /connection refused \(403\)/.test(l.msg ?? ''))).toBe(true);
  });

  it("'*' in allowedOrigins lets any page in (an explicit choice)", async () => {
    t = await createTestHost({ config: { server: { allowedOrigins: ['*'] } } });
    expect((await upgradeStatus(t.urls.gateway, { origin: 'http://anywhere.example' })).status).toBe(101);
  });
});

describe('tokens', () => {
  it('a configured token is required on loopback too: none or a wrong one is 401, the read token is read-only', async () => {
    t = await createTestHost({ plugins: [verbs()], config: { server: { token: 'full-secret', readToken: 'read-secret' } } });
    const url = t.urls.gateway;
    expect((await upgradeStatus(url)).status).toBe(401);
    expect((await upgradeStatus(`${url}?token=guess`)).status).toBe(401);
    const reader = await gatewayClient(`${url}?token=read-secret`);
    expect(reader.frames[0]).toMatchObject({ op: 'welcome', role: 'read' });
    reader.send({ op: 'command', id: 1, line: 'v set 3' });
    expect(await reader.next((f) => f.id === 1)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    reader.close();
    const admin = await gatewayClient(url, { headers: { authorization: 'Bearer full-secret' } });
    expect(admin.frames[0]).toMatchObject({ role: 'admin' });
    admin.send({ op: 'command', id: 2, line: 'v set 3' });
    expect(await admin.next((f) => f.id === 2)).toMatchObject({ data: { set: 3 } });
    admin.close();
  });

  it('retires requireToken: with no token it is a config error, with one a warning', async () => {
    expect(() => new Host({ config: { server: { requireToken: true } } })).toThrow(/server\.requireToken is retired.*set server\.token/);
    t = await createTestHost({ config: { server: { token: 'full-secret', requireToken: true } } });
    expect(t.logs.some((l) => /server\.requireToken is retired .*remove it/.test(l.msg ?? ''))).toBe(true);
    expect((await upgradeStatus(t.urls.gateway)).status).toBe(401);
  });
});

describe('frames that once took the host down', () => {
  it('a deeply nested id is refused with an error, the connection and the host stay up', async () => {
    t = await createTestHost({});
    const c = await gatewayClient(t.urls.gateway);
    // The frame of issue 13: about 9 KB, under maxPayload, from any client.
    c.send(`{"op":"ping","id":${'['.repeat(4500)}${']'.repeat(4500)}}`);
    const err = await c.next((f) => f.op === 'error');
    expect(err.error).toMatchObject({ code: 'BAD_FRAME' });
    expect(err.error.message).toMatch(/"id" must be a string .* a finite number or null/);
    c.send({ op: 'ping', id: 'x'.repeat(257) });
    await c.next((f) => f.op === 'error' && f !== err);
    c.send({ op: 'ping', id: 7 });
    expect(await c.next((f) => f.op === 'pong')).toMatchObject({ id: 7 });
    expect(await t.metric('acgateway_bad_input_total', { plugin: 'core', kind: 'gateway-id' })).toBe(2);
    c.close();
  });
});

describe('a client that asks and never reads', () => {
  it('is closed once its unread replies pass the bound; the host stays within 64 MB of RSS', async () => {
    t = await createTestHost({ plugins: [verbs()], config: { log: { level: 'warn' } } });
    const ws = new WebSocket(t.urls.gateway);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    (ws as unknown as { _socket: import('node:net').Socket })._socket.pause(); // never reads again
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let sent = 0;
    // Each command asks for a 64 KiB reply: 20,000 of them would be 1.3 GB queued if replies were not bounded.
    for (let round = 0; round < 200 && ws.readyState === ws.OPEN; round++) {
      for (let i = 0; i < 100; i++) ws.send(JSON.stringify({ op: 'command', id: sent++, line: 'v big' }));
      await sleep(5);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    for (let i = 0; i < 200 && ws.readyState !== ws.CLOSED; i++) {
      await sleep(10);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(ws.readyState).toBe(ws.CLOSED);
    // The server sent 1008 with its reason; a client that reads nothing never sees it, only the socket ending.
    expect([CLOSE_TOO_SLOW, 1006]).toContain(await closed);
    const gateway = t.host.describe().find((p) => p.name === 'core')!.endpoints.find((e) => e.name === 'gateway')!;
    expect(gateway.clients).toBe(0);
    expect(t.logs.some((l) => /disconnecting slow client: more than \d+ bytes unsent/.test(l.msg ?? ''))).toBe(true);
    expect(peak - before).toBeLessThan(64 << 20);
    // The host still answers others.
    const other = await gatewayClient(t.urls.gateway);
    other.send({ op: 'ping', id: 1 });
    await other.next((f) => f.op === 'pong');
    other.close();
  });

  it('gets BUSY beyond 32 commands in flight instead of an unbounded backlog of work', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = definePlugin({ name: 's', apiVersion: API_VERSION, apply(api) { api.addCommand({ verb: 's wait', access: 'read', help: 'waits', handler: () => gate.then(() => 'done') }); } });
    t = await createTestHost({ plugins: [slow()] });
    const c = await gatewayClient(t.urls.gateway);
    for (let i = 0; i < 40; i++) c.send({ op: 'command', id: i, line: 's wait' });
    const busy = await c.next((f) => f.error?.code === 'BUSY');
    expect(busy.id).toBe(32);
    expect(busy.error.message).toMatch(/32 commands of this connection are still running/);
    release();
    await c.next((f) => f.id === 31 && f.data === 'done');
    c.close();
  });
});

describe('HTTP paths and methods', () => {
  it('/ui redirects to the page like /ui/; /health, /metrics and /ui/* answer only GET and HEAD (405 otherwise)', async () => {
    t = await createTestHost({});
    const base = t.urls.health.replace(/\/health$/, '');
    const ui = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(ui.status).toBe(302);
    expect(new URL(ui.headers.get('location')!, `${base}/ui`).pathname).toBe('/');
    for (const path of ['/health', '/metrics', '/ui/app.js']) {
      for (const method of ['POST', 'DELETE', 'PUT']) {
        const r = await fetch(`${base}${path}`, { method });
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.get('allow')).toBe('GET, HEAD');
      }
      expect((await fetch(`${base}${path}`, { method: 'HEAD' })).status).toBe(200);
    }
    // TRACE (which would echo the request, cookies and tokens included) gets 405 too.
    const trace = await new Promise<number>((resolve) => {
      import('node:http').then(({ request }) => {
        const req = request(`${base}/health`, { method: 'TRACE' }, (res) => resolve(res.statusCode ?? 0));
        req.on('error', () => resolve(0));
        req.end();
      });
    });
    expect(trace).toBe(405);
  });
});
