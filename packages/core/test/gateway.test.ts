import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost } from '@acgateway/testing';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { gatewayClient, sleep } from './helpers.js';

const verbs = definePlugin({
  name: 'v',
  apiVersion: API_VERSION,
  apply(api) {
    api.addCommand({ verb: 'v echo', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ echo: args.text }) });
    api.addCommand({ verb: 'v set', args: [{ name: 'n', type: 'int' }], help: 'changes', handler: ({ args }) => ({ set: args.n }) });
  },
});

describe('gateway websocket protocol', () => {
  it('frames every payload size whole (7-bit, 16-bit and 64-bit lengths), in order with replies, with and without permessage-deflate', async () => {
    // Deliveries are written as frames built once per message; replies go through `ws`. A client
    // reads both in the order sent. With permessage-deflate negotiated every frame goes through `ws`.
    for (const deflate of [false, true]) {
      const t = await createTestHost({ config: { server: { perMessageDeflate: deflate } } });
      const c = await gatewayClient(t.urls.gateway, { perMessageDeflate: deflate });
      try {
        expect(c.ws.extensions).toBe(deflate ? 'permessage-deflate' : '');
        c.send({ op: 'subscribe', topics: ['size/#'], policy: 'queue' });
        await c.next((f) => f.op === 'subscribed');
        const sizes = [0, 90, 125, 126, 300, 65_535, 65_536, 200_000];
        for (const n of sizes) {
          t.host.bus.publish(`size/${n}`, { n, text: 'x'.repeat(n) });
          c.send({ op: 'ping', id: n });
          await c.next((f) => f.op === 'pong' && f.id === n, 5000);
        }
        const got = c.frames.filter((f) => f.topic?.startsWith('size/') || f.op === 'pong').map((f) => (f.op === 'pong' ? `pong ${f.id}` : `${f.topic} ${f.data.text.length}`));
        expect(got).toEqual(sizes.flatMap((n) => [`size/${n} ${n}`, `pong ${n}`]));
      } finally {
        c.close();
        await t.stop();
      }
    }
  });

  it('subscribes with patterns, sends retained values at once, unsubscribes', async () => {
    const t = await createTestHost({});
    const c = await gatewayClient(t.urls.gateway);
    try {
      expect(c.frames[0]).toMatchObject({ op: 'welcome', server: 'acgateway', apiVersion: API_VERSION, role: 'admin' });
      t.host.bus.publish('demo/state', { lap: 1 }, { retain: true });
      c.send({ op: 'subscribe', topics: ['demo/#'], policy: 'latest' });
      await c.next((f) => f.op === 'subscribed');
      const retained = await c.next((f) => f.topic === 'demo/state');
      expect(retained).toMatchObject({ topic: 'demo/state', data: { lap: 1 } });
      expect(typeof retained.ts).toBe('number');
      t.host.bus.publish('demo/lap', { n: 2 });
      t.host.bus.publish('other/x', { n: 3 });
      expect(await c.next((f) => f.topic === 'demo/lap')).toMatchObject({ data: { n: 2 } });
      c.send({ op: 'unsubscribe', topics: ['demo/#'] });
      await c.next((f) => f.op === 'unsubscribed');
      const before = c.frames.length;
      t.host.bus.publish('demo/lap', { n: 4 });
      c.send({ op: 'ping', id: 1 });
      await c.next((f) => f.op === 'pong');
      expect(c.frames.slice(before).some((f) => f.topic)).toBe(false);
      expect(c.frames.some((f) => f.topic === 'other/x')).toBe(false);
    } finally {
      c.close();
      await t.stop();
    }
  });

  it('delivers a burst published in one tick completely and in order, and counts deliveries', async () => {
    const t = await createTestHost({});
    const a = await gatewayClient(t.urls.gateway);
    const b = await gatewayClient(t.urls.gateway);
    try {
      for (const c of [a, b]) {
        c.send({ op: 'subscribe', topics: ['burst'], policy: 'queue' });
        await c.next((f) => f.op === 'subscribed');
      }
      for (let i = 0; i < 500; i++) t.host.bus.publish('burst', { i });
      for (const c of [a, b]) {
        await c.next((f) => f.topic === 'burst' && f.data.i === 499);
        expect(c.frames.filter((f) => f.topic === 'burst').map((f) => f.data.i)).toEqual([...Array(500).keys()]);
      }
      expect(await t.metric('acgateway_messages_delivered_total', { topic: 'burst' })).toBe(1000);
    } finally {
      a.close();
      b.close();
      await t.stop();
    }
  });

  it('answers commands by id, with data or an error naming what was wrong', async () => {
    const t = await createTestHost({ plugins: [verbs()] });
    const c = await gatewayClient(t.urls.gateway);
    try {
      c.send({ op: 'command', id: '7', line: 'v echo "a b"' });
      expect(await c.next((f) => f.id === '7')).toEqual({ id: '7', data: { echo: 'a b' } });
      c.send({ op: 'command', id: 8, verb: 'v set', args: [5] });
      expect(await c.next((f) => f.id === 8)).toEqual({ id: 8, data: { set: 5 } });
      c.send({ op: 'command', id: '9', line: 'v ecko hi' });
      const err = await c.next((f) => f.id === '9');
      expect(err.error.code).toBe('UNKNOWN_VERB');
      expect(err.error.message).toContain('v echo');
      c.send({ op: 'command', id: '10', line: 'v set x' });
      expect((await c.next((f) => f.id === '10')).error).toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining('usage: v set <n>') });
    } finally {
      c.close();
      await t.stop();
    }
  });

  it('answers malformed JSON, unknown ops and bad frames with an error frame and keeps the connection', async () => {
    const t = await createTestHost({});
    const c = await gatewayClient(t.urls.gateway);
    try {
      c.send('{not json');
      expect((await c.next((f) => f.op === 'error' && f.error.code === 'BAD_JSON')).error.message).toMatch(/malformed JSON/);
      c.send({ op: 'dance' });
      expect((await c.next((f) => f.error?.code === 'UNKNOWN_OP')).error.message).toMatch(/unknown op "dance": expected subscribe, unsubscribe, command, ping, window or ack/);
      c.send([1, 2]);
      await c.next((f) => f.error?.code === 'BAD_FRAME');
      c.send({ op: 'subscribe', topics: ['a/#/b'] });
      await c.next((f) => f.error?.code === 'BAD_TOPICS');
      c.send({ op: 'subscribe', topics: ['a'], policy: 'fastest' });
      await c.next((f) => f.error?.code === 'BAD_POLICY');
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      await c.next((f) => f.error?.message?.includes('binary frames'));
      c.send({ op: 'command', id: 'ok', line: 'help' });
      expect((await c.next((f) => f.id === 'ok')).data.length).toBeGreaterThan(0);
      const text = await (await fetch(t.urls.metrics)).text();
      expect(text).toMatch(/acgateway_bad_input_total\{plugin="core",kind="gateway-json"\} 1/);
    } finally {
      c.close();
      await t.stop();
    }
  });

  it('closes a client whose frame is over maxPayload (1009) and keeps serving others', async () => {
    const t = await createTestHost({ config: { server: { maxPayload: 1024 } } });
    const big = await gatewayClient(t.urls.gateway);
    const closed = big.closed();
    big.send({ op: 'command', id: 'x', line: 'help ' + 'x'.repeat(5000) });
    expect((await closed).code).toBe(1009);
    const other = await gatewayClient(t.urls.gateway);
    other.send({ op: 'command', id: 'y', line: 'help' });
    await other.next((f) => f.id === 'y');
    other.close();
    await t.stop();
  });

  it('disconnects a client that never reads; its memory stays bounded', async () => {
    const t = await createTestHost({
      config: { server: { backpressure: { highWaterBytes: 64 * 1024, maxBufferedBytes: 1 << 30, stallMs: 300 }, maxQueue: 10 } },
    });
    const baseline = t.host.bus.subscriptionCount;
    const ws = new WebSocket(t.urls.gateway);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ op: 'subscribe', topics: ['flood/#'], policy: 'queue' }));
    await sleep(50);
    (ws as unknown as { _socket: import('node:net').Socket })._socket.pause(); // never read again
    const payload = 'x'.repeat(64 * 1024);
    const endpoint = () => t.host.describe().find((p) => p.name === 'core')!.endpoints.find((e) => e.name === 'gateway')!;
    for (let i = 0; i < 400 && endpoint().clients! > 0; i++) {
      t.host.bus.publish('flood/x', { i, payload });
      if (i % 20 === 0) await sleep(20);
    }
    for (let i = 0; i < 100 && endpoint().clients! > 0; i++) await sleep(20);
    expect(endpoint().clients).toBe(0);
    expect(t.host.bus.subscriptionCount).toBe(baseline);
    expect(t.logs.some((l) => String(l.msg).includes('disconnecting slow client'))).toBe(true);
    const dropped = await (await fetch(t.urls.metrics)).text();
    expect(dropped).toMatch(/acgateway_messages_dropped_total\{topic="flood\/x"\} [1-9]/);
    ws.terminate();
    await t.stop();
  });

  it('a slow queue subscriber that catches up is told how many messages were dropped', async () => {
    const t = await createTestHost({ config: { server: { backpressure: { highWaterBytes: 32 * 1024, stallMs: 20_000 }, maxQueue: 5 } } });
    const c = await gatewayClient(t.urls.gateway);
    c.send({ op: 'subscribe', topics: ['ev'], policy: 'queue' });
    await c.next((f) => f.op === 'subscribed');
    const sock = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause();
    const payload = 'y'.repeat(32 * 1024);
    for (let i = 0; i < 300; i++) {
      t.host.bus.publish('ev', { i, payload });
      if (i % 50 === 0) await sleep(10);
    }
    sock.resume();
    const notice = await c.next((f) => f.op === 'dropped', 10_000);
    expect(notice.count).toBeGreaterThan(0);
    const last = await c.next((f) => f.topic === 'ev' && f.data.i === 299, 10_000);
    expect(last.data.i).toBe(299);
    // ordered: the indexes received only grow
    const idx = c.frames.filter((f) => f.topic === 'ev').map((f) => f.data.i);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    c.close();
    await t.stop();
  });
});

describe('acknowledged flow (window and ack)', () => {
  it('a latest client with a window gets at most that many unread frames, then the newest value, not the backlog', async () => {
    const t = await createTestHost({});
    const windowed = await gatewayClient(t.urls.gateway);
    const plain = await gatewayClient(t.urls.gateway);
    try {
      windowed.send({ op: 'window', frames: 8, id: 'w' });
      expect(await windowed.next((f) => f.op === 'window')).toMatchObject({ op: 'window', frames: 8, id: 'w' });
      for (const c of [windowed, plain]) {
        c.send({ op: 'subscribe', topics: ['tel/#'], policy: 'latest' });
        await c.next((f) => f.op === 'subscribed');
      }
      // A flood far faster than anyone reads: without a window the network's buffers take it all.
      for (let seq = 0; seq < 1000; seq++) t.host.bus.publish('tel/car', { seq });
      await plain.next((f) => f.topic === 'tel/car' && f.data.seq === 999);
      expect(plain.frames.filter((f) => f.topic).length).toBe(1000);
      await windowed.next((f) => f.topic === 'tel/car' && f.data.seq === 7);
      await sleep(100);
      const seen = () => windowed.frames.filter((f) => f.topic).map((f) => f.data.seq);
      expect(seen()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // Read: acknowledged. What comes next is the newest value, the 991 in between conflated.
      windowed.send({ op: 'ack', count: 8 });
      await windowed.next((f) => f.topic === 'tel/car' && f.data.seq === 999);
      expect(seen()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 999]);
      expect(await t.metric('acgateway_messages_conflated_total', { topic: 'tel/car' })).toBeGreaterThan(900);
      // Off again: everything flows.
      windowed.send({ op: 'window', frames: 0 });
      await windowed.next((f) => f.op === 'window' && f.frames === 0);
      for (let seq = 1000; seq < 1100; seq++) t.host.bus.publish('tel/car', { seq });
      await windowed.next((f) => f.topic === 'tel/car' && f.data.seq === 1099);
      expect(seen().filter((n) => n >= 1000)).toHaveLength(100);
    } finally {
      windowed.close();
      plain.close();
      await t.stop();
    }
  });

  it('a queue client with a window waits in the bounded queue and gets every frame in order as it acknowledges', async () => {
    const t = await createTestHost({});
    const c = await gatewayClient(t.urls.gateway);
    try {
      c.send({ op: 'window', frames: 10 });
      c.send({ op: 'subscribe', topics: ['ev'], policy: 'queue' });
      await c.next((f) => f.op === 'subscribed');
      for (let i = 0; i < 50; i++) t.host.bus.publish('ev', { i });
      const got = () => c.frames.filter((f) => f.topic === 'ev').map((f) => f.data.i);
      for (let read = 10; got().length < 50; read += 10) {
        await c.next(() => got().length >= read);
        await sleep(30);
        expect(got().length).toBe(read);
        c.send({ op: 'ack', count: read });
      }
      expect(got()).toEqual([...Array(50).keys()]);
    } finally {
      c.close();
      await t.stop();
    }
  });

  it('refuses a bad window or an acknowledgement of frames never sent, naming what was wrong, and keeps the connection', async () => {
    const t = await createTestHost({});
    const c = await gatewayClient(t.urls.gateway);
    try {
      c.send({ op: 'window', frames: -1, id: 1 });
      expect(await c.next((f) => f.id === 1)).toMatchObject({ error: { code: 'BAD_WINDOW' } });
      c.send({ op: 'window', frames: 'many', id: 2 });
      expect((await c.next((f) => f.id === 2)).error.message).toContain('"frames" must be an integer from 0');
      c.send({ op: 'ack', count: 5, id: 3 });
      const e = await c.next((f) => f.id === 3);
      expect(e.error.code).toBe('BAD_ACK');
      expect(e.error.message).toContain('to 0 (the data frames sent), got 5');
      c.send({ op: 'ack', id: 4 });
      expect(await c.next((f) => f.id === 4)).toMatchObject({ error: { code: 'BAD_ACK' } });
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'core', kind: 'gateway-ack' })).toBe(2);
      c.send({ op: 'ping', id: 5 });
      await c.next((f) => f.op === 'pong');
    } finally {
      c.close();
      await t.stop();
    }
  });
});

describe('gateway tokens', () => {
  it('bound beyond loopback: a token is needed; the read token cannot change things', async () => {
    const t = await createTestHost({ plugins: [verbs()], config: { server: { host: '0.0.0.0', token: 'full-secret', readToken: 'look-only' } } });
    const url = t.urls.gateway.replace('localhost', '127.0.0.1');
    try {
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode!));
        ws.on('error', () => {});
      });
      expect(refused).toBe(401);
      const wrong = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${url}?token=guess`);
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode!));
        ws.on('error', () => {});
      });
      expect(wrong).toBe(401);
      const reader = await gatewayClient(`${url}?token=look-only`);
      expect(reader.frames[0].role).toBe('read');
      reader.send({ op: 'command', id: 1, line: 'v set 3' });
      expect((await reader.next((f) => f.id === 1)).error.code).toBe('FORBIDDEN');
      reader.send({ op: 'command', id: 2, line: 'v echo hi' });
      expect((await reader.next((f) => f.id === 2)).data).toEqual({ echo: 'hi' });
      reader.close();
      const admin = await gatewayClient(url, { headers: { authorization: 'Bearer full-secret' } });
      admin.send({ op: 'command', id: 3, line: 'v set 3' });
      expect((await admin.next((f) => f.id === 3)).data).toEqual({ set: 3 });
      admin.close();
    } finally {
      await t.stop();
    }
  });
});
