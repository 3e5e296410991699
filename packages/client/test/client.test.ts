import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { createTestHost, freePort, until, type TestHost } from '@acgateway/testing';
import { connect, GatewayError, topicMatcher, type Gateway, type Message, type WebSocketConstructor } from '@acgateway/client';

// The client against a real host (gateway websocket on a loopback port), over `ws` as Node 20 has it.
const hosts: TestHost[] = [];
const clients: Gateway[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of hosts.splice(0)) await h.stop();
});

const verbs = definePlugin({
  name: 'x',
  apiVersion: API_VERSION,
  apply(api) {
    api.addCommand({ verb: 'x echo', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ echo: args.text }) });
    api.addCommand({ verb: 'x set', args: [{ name: 'n', type: 'int' }], help: 'changes something', handler: ({ args }) => ({ set: args.n }) });
  },
});

async function host(port: number, config: Record<string, unknown> = {}) {
  const t = await createTestHost({ plugins: [verbs()], config: { server: { port, ...config } } });
  hosts.push(t);
  return t;
}
/** A ws class for the client that keeps its sockets, so a test can stop reading like a slow client. */
function keptSockets() {
  const sockets: WebSocket[] = [];
  class Kept extends WebSocket {
    constructor(url: string, protocols?: unknown, options?: unknown) {
      super(url, protocols as never, options as never);
      sockets.push(this);
    }
  }
  return { sockets, Kept };
}

const client = (url: string, options: Parameters<typeof connect>[1] = {}) => {
  const c = connect(url, { minDelayMs: 50, maxDelayMs: 200, ...options });
  clients.push(c);
  return c;
};

describe('topicMatcher', () => {
  it('matches MQTT-style patterns as the server does', () => {
    expect(topicMatcher('acudp/#')('acudp/lap_completed')).toBe(true);
    expect(topicMatcher('+/acudp/#')('track1/acudp/state')).toBe(true);
    expect(topicMatcher('+/acudp/#')('track1/rf2/state')).toBe(false);
    expect(topicMatcher('a/+')('a/b/c')).toBe(false);
    expect(topicMatcher('a/b')('a/b')).toBe(true);
  });
});

describe('@acgateway/client against a host', () => {
  it('subscribes (retained first, then live), runs commands, and rejects with the server code', async () => {
    const t = await host(await freePort());
    t.host.bus.publish('demo/state', { n: 1 }, { retain: true });
    const gw = client(t.urls.gateway);
    const got: Message[] = [];
    gw.subscribe('demo/#', (m) => void got.push(m));
    await gw.ready();
    expect(gw.role).toBe('admin');
    await until('the retained value', () => got.length === 1);
    t.host.bus.publish('demo/lap', { n: 2 });
    await until('the live one', () => got.length === 2);
    expect(got.map((m) => [m.topic, m.data])).toEqual([['demo/state', { n: 1 }], ['demo/lap', { n: 2 }]]);
    expect(got[1]!.ts).toBe(t.published('demo/lap')[0]!.ts);

    expect(await gw.command('x echo hello there')).toEqual({ echo: 'hello there' });
    expect(await gw.command('x set', ['7'])).toEqual({ set: 7 });
    const err = await gw.command('x ehco').catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('UNKNOWN_VERB');
    expect(err.message).toMatch(/did you mean: x echo/);
  });

  it('needs the configured token: read-only with readToken, refused without one', async () => {
    const t = await host(await freePort(), { token: 'admin-secret', readToken: 'read-secret' });
    const reader = client(t.urls.gateway, { token: 'read-secret' });
    await reader.ready();
    expect(reader.role).toBe('read');
    const forbidden = await reader.command('x set 1').catch((e) => e);
    expect(forbidden.code).toBe('FORBIDDEN');
    const admin = client(t.urls.gateway, { token: 'admin-secret' });
    expect(await admin.command('x set 2')).toEqual({ set: 2 });
    // A refusal at the upgrade is not retried: ready() and commands fail with REFUSED.
    const errors: GatewayError[] = [];
    const none = client(t.urls.gateway);
    none.on('error', (e) => void errors.push(e));
    const refused = await none.ready(5000).catch((e) => e);
    expect(refused.code).toBe('REFUSED');
    expect(refused.message).toMatch(/401/);
    expect(errors[0]?.code).toBe('REFUSED');
    // The browser path: the token in ?token= with a WebSocket class that cannot send headers.
    class BrowserLike extends WebSocket {
      constructor(url: string) {
        super(url);
      }
    }
    (globalThis as { WebSocket?: unknown }).WebSocket = BrowserLike;
    try {
      const viaQuery = client(t.urls.gateway, { token: 'read-secret' });
      await viaQuery.ready();
      expect(viaQuery.role).toBe('read');
    } finally {
      delete (globalThis as { WebSocket?: unknown }).WebSocket;
    }
  });

  it('reconnects across a host restart, resubscribes, and gets the retained values again', async () => {
    const port = await freePort();
    const first = await host(port);
    first.host.bus.publish('demo/state', { run: 1 }, { retain: true });
    const gw = client(first.urls.gateway);
    const seen: unknown[] = [];
    const closes: Array<{ code: number; attempt: number; retryInMs?: number }> = [];
    gw.on('close', (e) => void closes.push(e));
    gw.subscribe('demo/state', (m) => void seen.push(m.data));
    await until('the first value', () => seen.length === 1);
    await first.stop();
    hosts.splice(hosts.indexOf(first), 1);
    await until('the close seen', () => closes.length >= 1);
    // Each close says which attempt it was and when the next comes: doubling from minDelayMs (50), jittered by a quarter.
    expect(closes[0]!.attempt).toBe(1);
    expect(closes[0]!.retryInMs).toBeGreaterThanOrEqual(37);
    expect(closes[0]!.retryInMs).toBeLessThanOrEqual(63);
    await until('a failed retry', () => closes.length >= 2);
    expect(closes[1]).toMatchObject({ attempt: 2 });
    expect(closes[1]!.retryInMs).toBeGreaterThanOrEqual(75);
    const pending = gw.command('x echo after').catch((e) => e); // waits for the reconnect
    const second = await host(port);
    second.host.bus.publish('demo/state', { run: 2 }, { retain: true });
    await until('the value of the new host', () => seen.length >= 2 && JSON.stringify(seen.at(-1)) === JSON.stringify({ run: 2 }), 10_000);
    expect(await pending).toEqual({ echo: 'after' });
    expect(gw.connected).toBe(true);
  });

  it('streams with for await; break ends the subscription at the gateway', async () => {
    const t = await host(await freePort());
    const gw = connect<{ 'demo/n': { i: number } }>(t.urls.gateway);
    clients.push(gw as unknown as Gateway);
    const stream = gw.stream('demo/n', { policy: 'queue' });
    await stream.ready;
    expect(t.host.bus.patterns()).toContain('demo/n');
    for (let i = 0; i < 3; i++) t.host.bus.publish('demo/n', { i });
    const got: number[] = [];
    for await (const m of stream) {
      got.push(m.data.i);
      if (got.length === 3) break;
    }
    expect(got).toEqual([0, 1, 2]);
    await until('the stream unsubscribed at the gateway', () => !t.host.bus.patterns().includes('demo/n'));
    expect(stream.dropped).toBe(0);
  });

  it('surfaces the gateway\'s dropped frames of a queue subscription as an event, and keeps order', async () => {
    const t = await host(await freePort(), { backpressure: { highWaterBytes: 32 * 1024, stallMs: 20_000 }, maxQueue: 5 });
    const { sockets, Kept } = keptSockets();
    const gw = client(t.urls.gateway, { WebSocket: Kept as unknown as WebSocketConstructor });
    const drops: Array<{ count: number }> = [];
    gw.on('dropped', (d) => void drops.push(d));
    const got: number[] = [];
    await gw.subscribe('ev', (m) => void got.push((m.data as { i: number }).i), { policy: 'queue' }).ready;
    const raw = (sockets[0] as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    const payload = 'y'.repeat(32 * 1024);
    for (let i = 0; i < 300; i++) {
      t.host.bus.publish('ev', { i, payload });
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    raw.resume();
    await until('the dropped event', () => drops.length > 0, 10_000);
    expect(drops[0]!.count).toBeGreaterThan(0);
    await until('the last message', () => got.at(-1) === 299, 10_000);
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    expect(got.length).toBeLessThan(300);
  });

  it('with a window, a slow latest subscriber gets the newest values when it catches up, not the backlog', async () => {
    const t = await host(await freePort());
    const { sockets, Kept } = keptSockets();
    const windowed = client(t.urls.gateway, { WebSocket: Kept as unknown as WebSocketConstructor, window: 16 });
    const plain = client(t.urls.gateway, { WebSocket: Kept as unknown as WebSocketConstructor });
    const got = { windowed: [] as number[], plain: [] as number[] };
    await windowed.subscribe('tel/car', (m) => void got.windowed.push((m.data as { seq: number }).seq)).ready;
    await plain.subscribe('tel/car', (m) => void got.plain.push((m.data as { seq: number }).seq)).ready;
    // Both stop reading (a dashboard busy elsewhere) while 2000 updates are published.
    const raws = sockets.map((s) => (s as unknown as { _socket: import('node:net').Socket })._socket);
    for (const r of raws) r.pause();
    for (let seq = 0; seq < 2000; seq++) {
      t.host.bus.publish('tel/car', { seq });
      if (seq % 200 === 199) await new Promise((r) => setTimeout(r, 10));
    }
    for (const r of raws) r.resume();
    await until('both have the newest', () => got.windowed.at(-1) === 1999 && got.plain.at(-1) === 1999, 10_000);
    // Without a window every queued update arrives, however old; with one, at most the window's worth
    // of old updates, then the newest.
    expect(got.plain).toHaveLength(2000);
    expect(got.windowed.length).toBeLessThanOrEqual(16 + 2);
    expect([...got.windowed].sort((a, b) => a - b)).toEqual(got.windowed);
  });

  it('a command waits for the connection and times out with TIMEOUT when no gateway is there', async () => {
    const gw = client(`ws://127.0.0.1:${await freePort()}/`, { commandTimeoutMs: 600, WebSocket: WebSocket as unknown as WebSocketConstructor });
    const err = await gw.command('help').catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
  });
});

describe('typed by the topic declarations', () => {
  const fixtures = path.resolve(fileURLToPath(import.meta.url), '../fixtures');
  const root = path.resolve(fixtures, '../../../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const built = existsSync(path.join(root, 'packages/client/dist/index.d.ts')) && existsSync(path.join(root, 'packages/plugin-acudp/dist/index.d.ts'));
  it.skipIf(!built)('a subscription to a declared topic has its payload type; a wrong field does not compile (tsc on fixtures)', { timeout: 60_000 }, async () => {
    const run = (file: string) =>
      promisify(execFile)(process.execPath, [tsc, '--ignoreConfig', '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2023,DOM', '--skipLibCheck', path.join(fixtures, file)], { cwd: fixtures }).then(() => '', (e: { stdout: string }) => e.stdout);
    expect(await run('typed.ts')).toBe('');
    const errors = await run('wrong.ts');
    expect(errors).toMatch(/wrong\.ts\(6,\d+\): error TS2551: Property 'lapTime' does not exist on type .*Did you mean 'lapTimeMs'\?/);
    expect(errors).toMatch(/wrong\.ts\(7,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });
});
