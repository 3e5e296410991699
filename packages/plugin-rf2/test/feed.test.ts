import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost, sleep, tempDir, until, upgradeStatus, type TestHost } from '@acgateway/testing';
import rf2, { rf2Options, type Rf2Options } from '@acgateway/plugin-rf2';
import { Rf2FileWriter } from '@acgateway/plugin-rf2/fake';
import { field, openWith } from './helpers.js';
import { encodeFeedJson, pyFloat } from '@acgateway/plugin-rf2';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let t: TestHost | undefined;
let writer: Rf2FileWriter;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  tmp = await tempDir('acgw-rf2-');
  writer = new Rf2FileWriter({ dir: tmp.dir });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await t?.stop();
  t = undefined;
  writer.close();
  await tmp.remove();
});

async function start(feed: Partial<NonNullable<Rf2Options['feed']>> = {}): Promise<{ h: TestHost; url: string }> {
  t = await createTestHost({ plugins: [rf2({ dir: tmp.dir, feed: { port: 0, ...feed } })] });
  return { h: t, url: t.urls.endpoints['rf2/feed']![0]! };
}

interface Client {
  ws: WebSocket;
  texts: string[];
  binary: number;
}

async function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const c: Client = { ws, texts: [], binary: 0 };
  ws.on('message', (d, isBinary) => (isBinary ? c.binary++ : c.texts.push(d.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return c;
}

const SEED = '{"driverName":"Tomáš Novák","vehicleName":"Porsche 911 GT3 R #5","place":2,"gear":3,"brake":0.25,"throttle":0.42}';


describe('rF2 JSON feed', () => {
  it('defaults to the seed: ws://127.0.0.1:8080/, once a second, filtered pedals', () => {
    const o = rf2Options.parse({});
    expect(o.feed).toEqual({ enabled: true, host: '127.0.0.1', port: 8080, rateHz: 1, pedals: 'filtered' });
    expect(o).toMatchObject({ dir: '/dev/shm', pollHz: 50, reader: 'auto', scoringHz: 5 });
    expect(rf2Options.parse({ mapping: 4242 }).mapping).toBe('4242');
    expect(rf2Options.safeParse({ mapping: '../x' }).success).toBe(false);
  });

  it('sends every client the seed message as text, at once and then once a second', async () => {
    openWith(writer);
    const { h, url } = await start();
    await h.waitFor('rf2/player');
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    await until('first message', () => clients.every((c) => c.texts.length >= 1), 1000);
    await sleep(2200);
    for (const c of clients) {
      expect(c.binary).toBe(0);
      expect(c.texts.every((x) => x === SEED)).toBe(true);
      // One at connect and one per second after: 3 in 2.2 s, give or take a tick.
      expect(c.texts.length).toBeGreaterThanOrEqual(2);
      expect(c.texts.length).toBeLessThanOrEqual(4);
    }
    const received = clients.reduce((n, c) => n + c.texts.length, 0);
    const counted = await h.metric('acgateway_rf2_feed_messages_total');
    // Every message sent is counted; at most one tick may still be on its way to the clients.
    expect(counted).toBeGreaterThanOrEqual(received);
    expect(counted).toBeLessThanOrEqual(received + clients.length);
    const parsed = JSON.parse(clients[0]!.texts[0]!);
    expect(Object.keys(parsed)).toEqual(['driverName', 'vehicleName', 'place', 'gear', 'brake', 'throttle']);
  });

  it('writes brake and throttle as Python writes floats: 0.0 and 1.0, never 0 and 1', async () => {
    expect([0, 1, 0.25, 1e-5, 1e16, -2, 0.1].map(pyFloat)).toEqual(['0.0', '1.0', '0.25', '1e-05', '1e+16', '-2.0', '0.1']);
    expect(encodeFeedJson({ driverName: 'A "B"', vehicleName: 'V', place: 1, gear: 0, brake: null, throttle: 1 })).toBe('{"driverName":"A \\"B\\"","vehicleName":"V","place":1,"gear":0,"brake":null,"throttle":1.0}');
    // On the wire: full throttle, no brake.
    openWith(writer, field({ player: { throttle: 1, brake: 0 } }));
    const { h, url } = await start();
    await h.waitFor('rf2/player');
    const c = await connect(url);
    await until('a message', () => c.texts.length > 0);
    expect(c.texts[0]).toBe('{"driverName":"Tomáš Novák","vehicleName":"Porsche 911 GT3 R #5","place":2,"gear":3,"brake":0.0,"throttle":1.0}');
  });

  it('reports the unfiltered pedals when asked', async () => {
    openWith(writer);
    const { h, url } = await start({ pedals: 'unfiltered', rateHz: 20 });
    await h.waitFor('rf2/player');
    const c = await connect(url);
    await until('a message', () => c.texts.length > 0);
    expect(JSON.parse(c.texts[0]!)).toMatchObject({ brake: 0.3, throttle: 0.5 });
  });

  it('keeps clients connected without rF2, logs the state once, and resumes by itself', async () => {
    const { h, url } = await start({ rateHz: 20 });
    const c = await connect(url);
    await sleep(600);
    expect(c.texts).toHaveLength(0);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    const idle = h.logs.filter((l) => l.msg === 'rF2 feed: no player data to send; clients stay connected');
    expect(idle).toHaveLength(1);
    expect(idle[0]!.reason).toContain('does not exist');
    openWith(writer);
    await until('data resumes', () => c.texts.length >= 3);
    expect(c.texts[0]).toBe(SEED);
    // rF2 quits: the data stops, the client stays.
    writer.remove();
    await until('feed pauses', () => h.logs.filter((l) => l.msg === 'rF2 feed: no player data to send; clients stay connected').length === 2, 4000);
    const n = c.texts.length;
    await sleep(300);
    expect(c.texts.length).toBe(n);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(h.logs.filter((l) => l.msg === "rF2 feed: sending the player's data")).toHaveLength(1);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(createTestHost({ plugins: [rf2({ dir: tmp.dir, feed: { port } })] })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('can be turned off', async () => {
    t = await createTestHost({ plugins: [rf2({ dir: tmp.dir, feed: { enabled: false } })] });
    expect(t.urls.endpoints['rf2/feed']).toBeUndefined();
    expect(((await t.dispatch('rf2 status')) as { feed: unknown }).feed).toBeNull();
  });
});

describe('rF2 feed: browser origins', () => {
  it("refuses another site's page at the upgrade (403); scripts and listed pages connect", async () => {
    const { url, h } = await start({ allowedOrigins: ['http://dash.example'] });
    expect((await upgradeStatus(url, { origin: 'http://evil.example:18999' })).status).toBe(403);
    expect((await upgradeStatus(url, { origin: 'http://dash.example' })).status).toBe(101);
    expect((await upgradeStatus(url)).status).toBe(101);
    expect(await h.metric('acgateway_bad_input_total', { plugin: 'rf2', kind: 'foreign_origin' })).toBe(1);
  });
});
