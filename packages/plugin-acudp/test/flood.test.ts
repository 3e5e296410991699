import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import acudp, { Direction, encodeEvent, encodeFileHeader, encodeRecord } from '@acgateway/plugin-acudp';
import { sourceStatus } from './helpers.js';

// Freshness under a flood: car updates waiting together are conflated per car before the bus (the
// newest kept, counted), events never are, and nothing older than an event is published after it.
// Behaviour only; how old data gets under a flood is measured in the acudp bench.

const CARS = 24;
let t: TestHost | undefined;
const sockets: Array<{ close(): void }> = [];
let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await t?.stop();
  await tmp?.remove();
  t = tmp = undefined;
});

/** Round `r` of every car: `pos.x` carries the round, so any message says how recent it is. */
const round = (r: number) => Array.from({ length: CARS }, (_, carId) => encodeEvent({ type: 'car_update', carId, pos: { x: r, y: 0, z: 0 }, velocity: { x: 60, y: 0, z: 0 }, gear: 4, engineRpm: 7000, normalizedSplinePos: (r % 100) / 100 }));
const chat = (r: number) => encodeEvent({ type: 'chat', carId: r % CARS, message: `round ${r}` });
type Frame = { topic?: string; data?: { carId: number; pos: { x: number }; message: string } };

/** Checks a published or received stream: after each chat of round K, no car update older than K. */
function staleAfterEvents(stream: Frame[]): string[] {
  const problems: string[] = [];
  let floor = -1;
  for (const f of stream) {
    if (f.topic === 'acudp/chat') floor = Number(f.data!.message.split(' ')[1]);
    else if (f.topic === 'acudp/car_update' && f.data!.pos.x < floor) problems.push(`car ${f.data!.carId} round ${f.data!.pos.x} after the chat of round ${floor}`);
  }
  return problems;
}

describe('acudp under a flood of car updates', () => {
  it('over UDP to 100 gateway clients: conflates per car, loses no event, every car reaches every client with its newest position', { timeout: 60_000 }, async () => {
    const server = dgram.createSocket('udp4');
    sockets.push(server);
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
    t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverHost: '127.0.0.1', serverPort: server.address().port, askCarInfo: false })] });
    const pluginPort = sourceStatus(t).listenPort as number;
    const host = t;

    // 100 clients that keep the newest per car (latest), and one that must see everything in order (queue).
    const latest: Array<Map<number, number>> = [];
    const ordered: Frame[] = [];
    const open = (topics: string[], policy: string, onFrame: (f: Frame) => void) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(host.urls.gateway);
        sockets.push(ws);
        ws.on('message', (d) => {
          const f = JSON.parse(String(d));
          if (f.op === 'subscribed') resolve();
          else if (f.topic) onFrame(f);
        });
        ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics, policy })));
      });
    await Promise.all(
      Array.from({ length: 100 }, () => {
        const seen = new Map<number, number>();
        latest.push(seen);
        return open(['acudp/car_update'], 'latest', (f) => void seen.set(f.data!.carId, f.data!.pos.x));
      }),
    );
    await open(['acudp/car_update', 'acudp/chat'], 'queue', (f) => void ordered.push(f));

    // Flat out: 2000 rounds of 24 cars, a chat every 50 rounds, in bursts that hand the socket
    // thousands of datagrams at once; then the last round again, slowly, so it surely arrives.
    const ROUNDS = 2000;
    for (let r = 0; r < ROUNDS; r++) {
      for (const d of round(r)) server.send(d, pluginPort, '127.0.0.1');
      if (r % 50 === 49) server.send(chat(r), pluginPort, '127.0.0.1');
      if (r % 40 === 39) await new Promise((res) => setImmediate(res));
    }
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 50));
      for (const d of round(ROUNDS)) server.send(d, pluginPort, '127.0.0.1');
    }

    await until('every client has every car at the last round', () => latest.every((m) => m.size === CARS && [...m.values()].every((x) => x === ROUNDS)), 30_000);
    const chats = host.published('acudp/chat').length;
    await until('the ordered client has every chat', () => ordered.filter((f) => f.topic === 'acudp/chat').length === chats, 10_000);

    const conflated = await host.metric('acudp_conflated_total');
    const published = host.published('acudp/car_update').length;
    const arrived = await host.metric('acudp_datagrams_total');
    // Many datagrams waited together and were conflated; whatever arrived was published or conflated.
    expect(conflated).toBeGreaterThan(0);
    expect(published + conflated + chats).toBe(arrived);
    expect(chats).toBeGreaterThan(0);
    // Events are never conflated: the chats published are the chats that arrived, in sending order.
    const rounds = host.published('acudp/chat').map((m) => Number((m.data as { message: string }).message.split(' ')[1]));
    expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
    // Nothing older than an event is published, or received, after it.
    expect(staleAfterEvents(host.messages as Frame[])).toEqual([]);
    expect(staleAfterEvents(ordered)).toEqual([]);
  });

  it('a flat-out replay: one publish per car per chunk, the chats all there, nothing stale after them', { timeout: 30_000 }, async () => {
    tmp = await tempDir('acudp-flood-');
    const file = path.join(tmp.dir, 'flood.acudp');
    const records: Buffer[] = [encodeFileHeader(Date.now())];
    let n = 0;
    for (let r = 0; r < 500; r++) {
      for (const d of round(r)) records.push(encodeRecord(n++ * 0.01, Direction.ToPlugin, d));
      if (r % 10 === 9) records.push(encodeRecord(n++ * 0.01, Direction.ToPlugin, chat(r)));
    }
    await fs.writeFile(file, Buffer.concat(records));
    t = await createTestHost({ plugins: [acudp({ replay: { file, speed: 'max' } })] });
    const host = t;
    await until('the replay to end', () => (host.host.bus.last<{ done: boolean }>('acudp/replay')?.data.done ?? false), 20_000);
    expect(host.published('acudp/chat')).toHaveLength(50);
    const cars = host.published('acudp/car_update');
    expect(cars.length + (await host.metric('acudp_conflated_total'))).toBe(500 * CARS);
    // Conflated: far fewer than one message per datagram, yet every car ends at its last round.
    expect(cars.length).toBeLessThan((500 * CARS) / 5);
    const last = new Map(cars.map((m) => [(m.data as { carId: number }).carId, (m.data as { pos: { x: number } }).pos.x]));
    expect([...last.values()]).toEqual(Array(CARS).fill(499));
    expect(staleAfterEvents(host.messages as Frame[])).toEqual([]);
  });
});
