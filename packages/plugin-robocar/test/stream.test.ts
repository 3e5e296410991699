import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { readJpegInfo, TOPICS, type FrameMessage } from '@acgateway/plugin-robocar';
import { sleep } from '@acgateway/testing';
import { connectClient as client, makeJpeg, startRobocar as start, tempFolder } from './helpers.js';

const isPeriodic = (d: any) => d && typeof d.timestamp === 'number';

describe('robocar socket.io stream', () => {
  it('greets a client with the connect status, then sends sensor_data and status with the exact shapes', async () => {
    const r = await start({ publishRate: 20, camera: { source: 'test-pattern', fps: 20 } });
    const c = await client(r.url);
    const frameData = await c.next('sensor_data', (d) => d.camera !== null);
    const status = await c.next('status', isPeriodic);
    // The greeting comes first and only once, with no timestamp.
    expect(c.events[0]).toMatchObject({ event: 'status' });
    expect(c.events[0]!.data).toStrictEqual({ message: 'Connected to robocar sensor stream', connected: true });
    expect(c.of('status').filter((d) => 'message' in d)).toHaveLength(1);

    expect(Object.keys(frameData).sort()).toEqual(['camera', 'timestamp']);
    expect(Object.keys(frameData.camera).sort()).toEqual(['format', 'frame', 'height', 'width']);
    expect(frameData.camera).toMatchObject({ width: 320, height: 180, format: 'jpeg' });
    expect(Math.abs(frameData.timestamp - Date.now() / 1000)).toBeLessThan(5);
    expect(Number.isInteger(frameData.timestamp)).toBe(false); // float seconds, as Python's time.time()
    const bytes = Buffer.from(frameData.camera.frame, 'base64');
    expect(bytes.toString('base64')).toBe(frameData.camera.frame); // standard base64, no data-URL prefix
    expect(readJpegInfo(bytes)).toMatchObject({ width: 320, height: 180 });
    const pixels = jpeg.decode(bytes, { useTArray: true });
    expect([pixels.width, pixels.height]).toEqual([320, 180]);

    expect(Object.keys(status).sort()).toEqual(['camera_connected', 'clients_connected', 'timestamp']);
    expect(status).toMatchObject({ camera_connected: true, clients_connected: 1 });
  });

  it('sends sensor_data and status at publishRate (counted over a window)', async () => {
    // Camera and stream at the same rate: the case where timer jitter could turn ticks into nulls.
    const r = await start({ publishRate: 20, camera: { source: 'test-pattern', fps: 20 } });
    const c = await client(r.url);
    // The window opens once the camera delivers (the test pattern encodes its tiles after start).
    await c.next('sensor_data', (d) => d.camera !== null);
    const from = c.events.length;
    await sleep(1500);
    const window = c.events.slice(from);
    const sensor = window.filter((e) => e.event === 'sensor_data');
    const status = window.filter((e) => e.event === 'status');
    // 20 Hz over 1.5 s = 30 of each; a wide tolerance for a shared machine.
    expect(sensor.length).toBeGreaterThanOrEqual(20);
    expect(sensor.length).toBeLessThanOrEqual(36);
    expect(Math.abs(status.length - sensor.length)).toBeLessThanOrEqual(1);
    // A tick waits briefly for a frame that is due, so (nearly) every tick carries one.
    expect(sensor.filter((e) => e.data.camera !== null).length).toBeGreaterThanOrEqual(sensor.length - 3);
  });

  it('does not turn frames into nulls when they arrive around tick time (camera rate = publish rate)', async () => {
    const r = await start({ publishRate: 20 });
    const c = await client(r.url);
    // A frame source on the bus at the stream's own rate whose frames land just before or just
    // after each tick, at random: the beat of two clocks at the same rate.
    const frame = { timestamp: 0, seq: 0, width: 8, height: 8, format: 'jpeg', frame: 'AAAA', bytes: 3 };
    let n = 0;
    const sub = r.t.host.bus.subscribe('robocar/status', () => {
      if (n++ > 60) return;
      setTimeout(() => r.t.host.bus.publish('robocar/frame', { ...frame, seq: n }), 50 + (n % 3 === 0 ? 6 : -6));
    }, { retained: false });
    await c.next('sensor_data', (d) => d.camera !== null);
    const from = c.events.length;
    await sleep(1500);
    sub.unsubscribe();
    const sensor = c.events.slice(from).filter((e) => e.event === 'sensor_data');
    expect(sensor.length).toBeGreaterThanOrEqual(20);
    expect(sensor.filter((e) => e.data.camera === null).length).toBeLessThanOrEqual(2);
  });

  it('counts clients as they come and go', async () => {
    const r = await start({ publishRate: 20 });
    const a = await client(r.url);
    await a.next('status', (d) => d.clients_connected === 1);
    const b = await client(r.url, ['polling']);
    const c = await client(r.url);
    await a.next('status', (d) => d.clients_connected === 3);
    await b.next('status', (d) => d.clients_connected === 3);
    c.close();
    await a.next('status', (d) => d.clients_connected === 2);
    b.close();
    await a.next('status', (d) => d.clients_connected === 1);
    expect(r.t.host.describe().find((p) => p.name === 'robocar')!.endpoints[0]!.clients).toBe(1);
  });

  it('answers ping with pong {timestamp}, also to an acknowledgement', async () => {
    const r = await start({ publishRate: 5 });
    const c = await client(r.url);
    const before = Date.now() / 1000;
    c.socket.emit('ping');
    const p = await c.next('pong');
    expect(Object.keys(p)).toEqual(['timestamp']);
    expect(p.timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(p.timestamp).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    const acked = await c.socket.timeout(2000).emitWithAck('ping', { from: 'test' });
    expect(Object.keys(acked)).toEqual(['timestamp']);
  });

  it('without a camera sends camera: null and camera_connected: false', async () => {
    const r = await start({ publishRate: 20 });
    const c = await client(r.url);
    const d = await c.next('sensor_data');
    const s = await c.next('status', isPeriodic);
    expect(d).toStrictEqual({ timestamp: expect.any(Number), camera: null });
    expect(s).toStrictEqual({ timestamp: expect.any(Number), camera_connected: false, clients_connected: 1 });
    expect(await r.t.dispatch('robocar status')).toMatchObject({ camera: null, stream: { clients: 1, publishRate: 20 } });
  });

  it('serves long-polling clients the same events', async () => {
    const r = await start({ publishRate: 10, camera: { source: 'test-pattern', width: 160, height: 96 } });
    const c = await client(r.url, ['polling']);
    expect(c.socket.io.engine.transport.name).toBe('polling');
    const d = await c.next('sensor_data', (x) => x.camera !== null);
    expect(d.camera).toMatchObject({ width: 160, height: 96, format: 'jpeg' });
    await c.next('status', (x) => x.camera_connected === true);
  });

  it('publishes frames on robocar/frame and the status on robocar/status', async () => {
    const r = await start({ publishRate: 10, camera: { source: 'test-pattern', fps: 10 } });
    const f = await r.t.waitFor<FrameMessage>(TOPICS.frame);
    expect(Object.keys(f.data).sort()).toEqual(['bytes', 'format', 'frame', 'height', 'seq', 'timestamp', 'width']);
    expect(f.data).toMatchObject({ width: 320, height: 180, format: 'jpeg' });
    expect(Buffer.from(f.data.frame, 'base64').length).toBe(f.data.bytes);
    const s = await r.t.waitFor<any>(TOPICS.status, (m) => m.data.camera_connected === true);
    expect(Object.keys(s.data).sort()).toEqual(['camera_connected', 'clients_connected', 'timestamp']);
    // Both retained: what a subscriber that comes later gets at once.
    const retainedFrame = r.t.host.bus.last<FrameMessage>(TOPICS.frame)!.data;
    expect(retainedFrame).toStrictEqual({ timestamp: expect.any(Number), seq: expect.any(Number), width: 320, height: 180, format: 'jpeg', frame: expect.any(String), bytes: expect.any(Number) });
    expect(retainedFrame.seq).toBeGreaterThanOrEqual(f.data.seq);
    expect(readJpegInfo(Buffer.from(retainedFrame.frame, 'base64'))).toMatchObject({ width: 320, height: 180 });
    expect(r.t.host.bus.last(TOPICS.status)!.data).toStrictEqual({ timestamp: expect.any(Number), camera_connected: true, clients_connected: 0 });
  });

  it('honours path and allowedOrigins: a listed page gets CORS, any other page is refused (403), scripts connect', async () => {
    const r = await start({ path: '/robocar/', allowedOrigins: ['http://dash.example'], publishRate: 10 });
    expect(new URL(r.url).pathname).toBe('/robocar/');
    const res = await fetch(`${r.url}?EIO=4&transport=polling`, { headers: { origin: 'http://dash.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://dash.example');
    const evil = await fetch(`${r.url}?EIO=4&transport=polling`, { headers: { origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(await evil.text()).toMatch(/evil\.example.*allowedOrigins/);
    const c = await client(r.url);
    await c.next('status', isPeriodic);
  });

  it('maps the retired cors option to allowedOrigins and says so', async () => {
    const r = await start({ cors: '*', publishRate: 10 });
    const res = await fetch(`${r.url}?EIO=4&transport=polling`, { headers: { origin: 'http://anywhere.example' } });
    expect(res.status).toBe(200);
    expect(r.t.logs.some((l) => /robocar\.cors is retired: use robocar\.allowedOrigins: \["\*"\]/.test(l.msg ?? ''))).toBe(true);
  });

  it('gives a slow client the newest frame instead of a growing queue', async () => {
    const dir = await tempFolder();
    // Noisy 640x480 frames (~150 kB, ~200 kB in base64) at 25 Hz fill the socket buffers in a second or two.
    for (let i = 0; i < 4; i++) await writeFile(`${dir}/f${i}.jpg`, makeJpeg(640, 480, i, 160));
    const r = await start({ publishRate: 25, camera: { source: 'folder', path: dir, fps: 25 } });
    const slow = await client(r.url);
    const fast = await client(r.url);
    await slow.next('sensor_data', (d) => d.camera !== null);
    const raw = (slow.socket.io.engine.transport as any).ws._socket as import('node:net').Socket;
    const status = async () => ((await r.t.dispatch('robocar status')) as any).stream;
    const before = await status();
    const fastBefore = fast.of('sensor_data').length;
    const pausedAt = Date.now() / 1000;
    raw.pause();
    await sleep(2500);
    const mid = await status();
    const resumedAt = Date.now() / 1000;
    // The server skipped frames for the paused client instead of queueing them...
    expect(mid.framesDroppedForSlowClients - before.framesDroppedForSlowClients).toBeGreaterThan(10);
    // ...so the process holds about one frame for it, not the ~12 MB sent meanwhile.
    expect(mid.maxClientBufferedBytes).toBeLessThan(1_000_000);
    expect(mid.maxClientQueuedBytes).toBeLessThan(1_000_000);
    // The other client was not held back.
    expect(fast.of('sensor_data').length - fastBefore).toBeGreaterThan(25);
    raw.resume();
    // Once reading again, the slow client gets current frames (what the OS had buffered drains first).
    await slow.next('sensor_data', (d) => d.camera !== null && Date.now() / 1000 - d.timestamp < 0.5, 8000);
    const fromPause = slow.of('sensor_data').filter((d) => d.timestamp >= pausedAt && d.timestamp <= resumedAt);
    expect(fromPause.length).toBeLessThan(mid.ticks - before.ticks);
  });
});
