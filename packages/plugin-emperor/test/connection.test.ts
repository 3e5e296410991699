import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, until, type TestHost } from '@acgateway/testing';
import type { DriversPayload, FakeRaceControlServer, ServerStatus, StatePayload } from '@acgateway/plugin-emperor';
import { ReconnectingSocket } from '../src/client/connection.js';
import { SAM, latest, startFake, startHost, stopAll } from './helpers.js';

let fake: FakeRaceControlServer | undefined;
let t: TestHost | undefined;
let tcp: Server | undefined;
const tcpSockets = new Set<Socket>();
afterEach(async () => {
  await stopAll();
  for (const s of tcpSockets) s.destroy();
  tcpSockets.clear();
  if (tcp) await new Promise((r) => tcp!.close(r));
  tcp = undefined;
});

const state = (server = 'main') => latest<StatePayload>(t!, `emperor/${server}/state`);
const logsMatching = (re: RegExp) => t!.logs.filter((l) => re.test(String(l.msg)));

describe('connection failures: each logged once, retried with backoff, recovered', () => {
  it('a server that never answers the handshake', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    fake.setHang(true);
    t = await startHost([{ name: 'main', url: fake.url }], { handshakeTimeoutMs: 150 });
    await until('three attempts', () => fake!.handshakes.length >= 3, 8000);
    expect(state()!.connection).toMatchObject({ state: expect.stringMatching(/retrying|connecting/), lastError: expect.stringMatching(/no answer to the websocket handshake/) });
    expect(state()!.hasSnapshot).toBe(false);
    expect(logsMatching(/cannot connect.*no answer to the websocket handshake/)).toHaveLength(1);
    // Counted: every failed attempt, and no connection.
    const failing = ((await t.dispatch('emperor status')) as { servers: ServerStatus[] }).servers[0]!;
    expect(failing.connection.attempts).toBeGreaterThanOrEqual(2);
    expect(failing.connects).toBe(0);
    fake.setHang(false);
    await until('connected', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 1, 8000);
    expect(logsMatching(/connected to/)).toHaveLength(1);
  });

  it('a TCP port that accepts and never speaks HTTP', async () => {
    tcp = createServer((s) => void tcpSockets.add(s));
    await new Promise<void>((r) => tcp!.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    t = await startHost([{ name: 'main', url: `ws://127.0.0.1:${port}/api/race-control` }], { handshakeTimeoutMs: 150 });
    await until('the failure', () => state()?.connection.lastError);
    expect(state()!.connection.lastError).toMatch(/no answer/);
    expect(t.host.state).toBe('running');
  });

  it('a server that accepts and then stays silent (no frames, no pings) is detected as dead', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    fake.setSilent(true);
    t = await startHost([{ name: 'main', url: fake.url }], { deadAfterMs: 200 });
    await until('two silent connections', () => fake!.accepted >= 2, 8000);
    expect(logsMatching(/connection lost: dead connection: nothing received for 200 ms/).length).toBeGreaterThanOrEqual(1);
    fake.setSilent(false);
    await until('data', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 1, 8000);
  });

  it('pings from the server alone keep a quiet connection alive', async () => {
    fake = await startFake({ pingIntervalMs: 50 });
    t = await startHost([{ name: 'main', url: fake.url }], { deadAfterMs: 300 });
    await until('open', () => state()?.connection.state === 'open');
    await sleep(900);
    expect(fake.accepted).toBe(1);
    expect(state()!.connection.state).toBe('open');
  });

  it('HTTP 403 (Origin refused): says so, once, and recovers when the server accepts', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    fake.refuse(403);
    t = await startHost([{ name: 'main', url: fake.url }]);
    await until('three refusals', () => fake!.handshakes.filter((h) => h.status === 403).length >= 3);
    expect(state()!.connection.lastError).toMatch(/HTTP 403.*Origin/);
    expect(logsMatching(/HTTP 403/)).toHaveLength(1);
    fake.refuse(null);
    await until('connected', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 1);
  });

  it('sends an Origin matching the host by default, a given one, or none; a foreign one is refused as gorilla does', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    t = await startHost([
      { name: 'auto', url: fake.url },
      { name: 'none', url: fake.url, origin: false },
      { name: 'foreign', url: fake.url, origin: 'https://elsewhere.example' },
    ]);
    await until('auto and none connected', () => state('auto')?.connection.state === 'open' && state('none')?.connection.state === 'open');
    await until('foreign refused', () => state('foreign')?.connection.lastError);
    expect(state('foreign')!.connection.lastError).toMatch(/403/);
    const origins = new Set(fake.handshakes.map((h) => h.origin));
    expect(origins).toEqual(new Set([`http://127.0.0.1:${fake.port}`, null, 'https://elsewhere.example']));
  });

  it('a manager not open for reading redirects to /login; a session cookie gets in', async () => {
    fake = await startFake({ open: false, cookie: 'messages=abc123' });
    fake.connectDriver(SAM);
    t = await startHost([
      { name: 'anon', url: fake.url },
      { name: 'member', url: fake.url, cookie: 'messages=abc123' },
    ]);
    await until('member in', () => latest<DriversPayload>(t!, 'emperor/member/drivers')?.connected.length === 1);
    await until('anon refused', () => state('anon')?.connection.lastError);
    expect(state('anon')!.connection.lastError).toMatch(/HTTP 302 redirect to \/login.*cookie/);
    expect(state('anon')!.hasSnapshot).toBe(false);
    const st = (await t.dispatch('emperor status')) as { servers: ServerStatus[] };
    expect(JSON.stringify(st)).not.toContain('abc123');
  });

  it('a wrong path answers 404 and says where to look', async () => {
    fake = await startFake();
    t = await startHost([{ name: 'main', url: fake.url.replace('/api/race-control', '/live-timing') }]);
    await until('the failure', () => state()?.connection.lastError);
    expect(state()!.connection.lastError).toMatch(/404.*performance mode/);
  });

  it('a URL naming only the host gets the race-control path', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    t = await startHost([{ name: 'main', url: `http://127.0.0.1:${fake.port}` }]);
    await until('connected', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 1);
    expect(fake.handshakes[0]!.path).toBe('/api/race-control');
  });

  it('stamps its status with the clock it is given (the host\'s), not the wall clock', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    const frames: Buffer[] = [];
    const socket = new ReconnectingSocket(
      { url: fake.url, handshakeTimeoutMs: 2000, pingIntervalMs: 0, deadAfterMs: 2000, maxPayloadBytes: 1 << 20, reconnect: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0 } },
      { onFrame: (data) => frames.push(data), onState: () => {} },
      () => 1_000,
    );
    socket.start();
    try {
      await until('the snapshot', () => frames.length >= 1);
      expect(socket.status()).toMatchObject({ state: 'open', since: 1_000, lastReceivedAt: 1_000, connects: 1 });
      fake.refuse(500);
      fake.dropConnections();
      await until('a retry', () => socket.status().state === 'retrying' && socket.status());
      expect(socket.status()).toMatchObject({ since: 1_000, nextRetryAt: expect.any(Number) });
      expect(socket.status().nextRetryAt! - 1_000).toBeLessThanOrEqual(200);
    } finally {
      await socket.stop();
    }
  });

  it('stopping the host while a handshake hangs ends promptly', async () => {
    fake = await startFake();
    fake.setHang(true);
    t = await startHost([{ name: 'main', url: fake.url }], { handshakeTimeoutMs: 10_000 });
    await until('the hanging handshake', () => fake!.handshakes.length === 1);
    const stopping = t.stop();
    await expect(Promise.race([stopping.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('stuck'), 3000))])).resolves.toBe('stopped');
    expect(logsMatching(/main: stopped/)).toHaveLength(1);
  });
});
