import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestHost, sleep, until, type TestHost } from '@acgateway/testing';
import { acudp, decodeCommand, encodeEvent, type AcspCommand, type AcspEvent } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { hostWithFake } from './helpers.js';

// Issue 13 on the AC UDP side: datagrams from anywhere but the server are dropped and counted, a
// flood of unknown cars does not become a flood of requests at the server, chat text is cleaned.

const sockets: dgram.Socket[] = [];
let t: TestHost | undefined;
let fake: FakeAcServer | undefined;
afterEach(async () => {
  await t?.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
  for (const s of sockets.splice(0)) s.close();
});

async function udp(address: string, port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, address, () => r()));
  sockets.push(s);
  return s;
}

const send = (from: dgram.Socket, port: number, e: AcspEvent) => new Promise<void>((r) => from.send(encodeEvent(e), port, '127.0.0.1', () => r()));
const chat: AcspEvent = { type: 'chat', carId: 1, message: 'I am the server, honest' };
const lap: AcspEvent = { type: 'lap_completed', carId: 1, lapTimeMs: 1234, cuts: 0, leaderboard: [], gripLevel: 1 };

/** A host whose acudp plugin takes `server` (a socket on 127.0.0.1) for the AC server. */
async function hostFor(server: dgram.Socket, options: Parameters<typeof acudp>[0] = {}) {
  t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverHost: '127.0.0.1', serverPort: server.address().port, askCarInfo: false, ...options })] });
  const status = t.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number };
  return status.listenPort;
}

describe('acudp: whose datagrams count', () => {
  it("drops a spoofed chat and lap from another address, counts them as foreign_source; the server's own get through", async () => {
    const server = await udp('127.0.0.1');
    const port = await hostFor(server);
    const spoofer = await udp('127.0.0.2');
    await send(spoofer, port, chat);
    await send(spoofer, port, lap);
    await until('two foreign datagrams counted', async () => (await t!.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'foreign_source' })) === 2);
    await send(server, port, { ...chat, message: 'real' });
    await t!.waitFor('acudp/chat');
    expect(t!.published('acudp/chat').map((m) => (m.data as { message: string }).message)).toEqual(['real']);
    expect(t!.published('acudp/lap_completed')).toEqual([]);
    expect(t!.logs.some((l) => /did not come from the AC server/.test(l.msg ?? '') && l.from?.toString().startsWith('127.0.0.2:'))).toBe(true);
  });

  it('checkSourcePort: also the port must be the server\'s', async () => {
    const server = await udp('127.0.0.1');
    const port = await hostFor(server, { checkSourcePort: true });
    const local = await udp('127.0.0.1');
    await send(local, port, chat);
    await until('a foreign datagram counted', async () => (await t!.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'foreign_source' })) === 1);
    await send(server, port, chat);
    await t!.waitFor('acudp/chat');
    expect(t!.published('acudp/chat')).toHaveLength(1);
  });

  it("acceptFrom 'any' takes every source (NAT, relays)", async () => {
    const server = await udp('127.0.0.1');
    const port = await hostFor(server, { acceptFrom: 'any' });
    const relay = await udp('127.0.0.2');
    await send(relay, port, lap);
    await t!.waitFor('acudp/lap_completed');
    expect(await t!.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'foreign_source' })).toBe(0);
  });

  it('asks about unknown cars at most carInfoPerSecond (burst 4 s worth), however many appear', async () => {
    const server = await udp('127.0.0.1');
    const asked: number[] = [];
    server.on('message', (buf) => {
      const r = decodeCommand(buf);
      if (r.ok && (r.value as AcspCommand).type === 'get_car_info') asked.push((r.value as { carId: number }).carId);
    });
    const port = await hostFor(server, { askCarInfo: true, carInfoPerSecond: 5 });
    for (let carId = 0; carId < 200; carId++) {
      await send(server, port, { type: 'car_update', carId, pos: { x: 0, y: 0, z: 0 }, velocity: { x: 0, y: 0, z: 0 }, gear: 2, engineRpm: 3000, normalizedSplinePos: 0.5 });
    }
    await until('car updates published', () => t!.published('acudp/car_update').length === 200);
    await sleep(300);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.length).toBeLessThanOrEqual(20 + 2);
    expect(new Set(asked).size).toBe(asked.length);
  });
});

describe('acudp: chat text', () => {
  it('strips control characters (tab kept) and bidi overrides from chat and broadcast text', async () => {
    ({ t, fake } = await hostWithFake({}, { cars: 2, drivers: 2, loadDelayMs: 5, chatEveryMs: 0, collisionEveryMs: 0 }));
    await t.dispatch(['ac', 'broadcast', '"a\u0000b\u202ec\td\u2066e\u001b[31mf"'].join(' '));
    await t.dispatch('ac chat 1 "x\u0007y"');
    await until('two chat lines at the server', () => fake!.chatToDrivers.length === 2);
    expect(fake.chatToDrivers).toEqual([
      { carId: 255, message: 'abc\tde[31mf' },
      { carId: 1, message: 'xy' },
    ]);
  });
});
