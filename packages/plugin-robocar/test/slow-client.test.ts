import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from '@acgateway/testing';
import { startRobocar } from './helpers.js';

// A socket.io client that asks (ping) and never reads: every pong is a reliable packet socket.io
// queues for it. The endpoint kind counts that queue against the client's bound and disconnects it.
// The client is a raw engine.io v4 websocket speaking the real wire protocol.

const BOUND = 8 << 20;

describe('socket.io endpoint: a client that never reads', () => {
  it('is disconnected once what waits for it passes the bound (8 MiB), holding no more than that', { timeout: 30_000 }, async () => {
    const r = await startRobocar({ publishRate: 10 });
    const clients = () => r.t.host.describe().find((p) => p.name === 'robocar')!.endpoints[0]!.clients;
    const url = new URL(r.url);
    const ws = new WebSocket(`ws://${url.host}${url.pathname}?EIO=4&transport=websocket`);
    // The engine.io open packet ("0{...}") can come in the same read as the upgrade: listen from the start.
    const opened = new Promise<string>((res) => ws.once('message', (d) => res(d.toString())));
    await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
    expect(await opened).toMatch(/^0\{"sid"/);
    ws.send('40'); // socket.io CONNECT to "/"
    await until('the stream counts the client', () => clients() === 1);
    (ws as unknown as { _socket: net.Socket })._socket.pause(); // never reads again
    // About 60 bytes of pong for each 11-byte ping; the kernel's buffers take some MB before anything waits here.
    for (let round = 0; round < 1000 && clients() === 1; round++) {
      for (let i = 0; i < 1000; i++) ws.send('42["ping"]');
      await new Promise((res) => setTimeout(res, 5));
    }
    await until('the stream dropped the client', () => clients() === 0, 10_000);
    expect(r.t.logs.some((l) => /disconnecting slow client: more than 8388608 bytes unsent/.test(l.msg ?? ''))).toBe(true);
    const cut = r.t.logs.find((l) => l.msg === 'socket.io backlog over the bound');
    expect(cut).toBeDefined();
    // Checked every 64 packets once the queue is long: at most a few KB past the bound.
    expect(cut!.heldBytes as number).toBeGreaterThan(BOUND);
    expect(cut!.heldBytes as number).toBeLessThan(BOUND + 64 * 1024);
    ws.terminate();
  });
});
