import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { createTestHost, freePort, sleep, tempDir, until, type TestHost } from '@acgateway/testing';
import mqtt, { type MqttOptionsInput } from '@acgateway/plugin-mqtt';
import { makeTestCerts, mosquittoPath, skipWithout, startMosquitto } from '../../../test-support/brokers.mjs';

// Against a real mosquitto started here on a free port: export (QoS, retained and cleared, MQTT 5
// properties), import without echo, commands over MQTT 5 and 3.1.1 with roles, the last will of a
// killed gateway, a broker that is away at start or restarts, and auth without secrets in the logs.

type Broker = Awaited<ReturnType<typeof startMosquitto>>;
const brokers: Broker[] = [];
const clients: MqttClient[] = [];
const children: ChildProcess[] = [];
let t: TestHost | undefined;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const c of cleanups.splice(0)) c();
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => {});
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const b of brokers.splice(0)) await b.remove();
});

async function broker(options?: Parameters<typeof startMosquitto>[0]): Promise<Broker> {
  const b = await startMosquitto(options);
  brokers.push(b);
  return b;
}

interface Received { topic: string; text: string; packet: IPublishPacket }

/** A real MQTT client that keeps what it receives. */
async function observer(url: string, topics: string[], options: { protocolVersion?: 4 | 5; username?: string; password?: string } = {}) {
  const c = await connectAsync(url, { protocolVersion: options.protocolVersion ?? 5, username: options.username, password: options.password, reconnectPeriod: 0 });
  clients.push(c);
  const got: Received[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, text: payload.toString(), packet }));
  if (topics.length) await c.subscribeAsync(topics, { qos: 2 });
  return { client: c, got, next: (pred: (r: Received) => boolean, ms = 5000) => until(`an MQTT message ${pred}`, () => got.find(pred), ms) };
}

const verbs = definePlugin({
  name: 'x',
  apiVersion: API_VERSION,
  apply(api) {
    api.addCommand({ verb: 'x echo', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ echo: args.text }) });
    api.addCommand({ verb: 'x set', args: [{ name: 'n', type: 'int' }], help: 'changes something', handler: ({ args }) => ({ set: args.n }) });
  },
});

async function gateway(options: MqttOptionsInput): Promise<TestHost> {
  t = await createTestHost({ plugins: [verbs(), mqtt({ node: 'track1', reconnectMs: 100, ...options })] });
  return t;
}

const linkState = (h: TestHost) => (h.host.describe().find((p) => p.name === 'mqtt')!.sources[0]!.status as { state: string; reason?: string; dropped: number });
const connected = (h: TestHost) => until('the bridge connected', () => linkState(h).state === 'connected', 8000);

describe.skipIf(skipWithout(mosquittoPath, 'mosquitto'))('plugin-mqtt against mosquitto', () => {
  it('exports under <prefix>/<node>/ with QoS per pattern, MQTT 5 user properties, retained values and their clearing', async () => {
    const b = await broker();
    const h = await gateway({ url: b.url, export: ['demo/#', { pattern: 'lap/#', qos: 1 }], retainedExpirySec: 600 });
    await connected(h);
    const o = await observer(b.url, ['acgateway/track1/#']);
    expect((await o.next((r) => r.topic === 'acgateway/track1/status')).text).toBe('online');
    h.host.bus.publish('demo/telemetry', { speedKmh: 212.5, gear: 6 });
    h.host.bus.publish('lap/completed', { carId: 3, lapTimeMs: 91234 });
    h.host.bus.publish('other/thing', { not: 'exported' });
    const tele = await o.next((r) => r.topic === 'acgateway/track1/demo/telemetry');
    expect(JSON.parse(tele.text)).toEqual({ speedKmh: 212.5, gear: 6 });
    expect(tele.packet.qos).toBe(0);
    expect(tele.packet.properties?.userProperties).toMatchObject({ origin: 'track1' });
    expect(Number(tele.packet.properties?.userProperties?.ts)).toBeGreaterThan(1.7e12);
    const lap = await o.next((r) => r.topic === 'acgateway/track1/lap/completed');
    expect(lap.packet.qos).toBe(1);
    h.host.bus.publish('demo/state', { session: 'RACE' }, { retain: true });
    await o.next((r) => r.topic === 'acgateway/track1/demo/state');
    const late = await observer(b.url, ['acgateway/track1/demo/state']);
    const kept = await late.next((r) => r.topic === 'acgateway/track1/demo/state');
    expect(kept.packet.retain).toBe(true);
    expect(JSON.parse(kept.text)).toEqual({ session: 'RACE' });
    expect(kept.packet.properties?.messageExpiryInterval).toBeGreaterThan(590);
    // The command-line client of mosquitto reads the same retained value.
    const sub = existsSync('/usr/bin/mosquitto_sub') ? execFileSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-t', 'acgateway/track1/demo/state', '-C', '1', '-W', '5'], { encoding: 'utf8' }) : undefined;
    if (process.env.CI === 'true' || sub !== undefined) expect(JSON.parse(sub!)).toEqual({ session: 'RACE' });
    h.host.bus.clearRetained('demo/state');
    await o.next((r) => r.topic === 'acgateway/track1/demo/state' && r.text === '');
    const later = await observer(b.url, ['acgateway/track1/demo/state']);
    await sleep(300);
    expect(later.got).toEqual([]);
    expect(o.got.some((r) => r.topic.includes('other/thing'))).toBe(false);
  });

  it('imports outside topics as mqtt/<topic> and never exports them again, with another gateway on the same broker', async () => {
    const b = await broker();
    const h = await gateway({ url: b.url, export: ['#'], import: ['home/#', 'acgateway/#'] });
    await connected(h);
    const watcher = await observer(b.url, ['#']);
    const outside = await observer(b.url, []);
    await outside.client.publishAsync('home/lights/kitchen', JSON.stringify({ on: true }));
    await outside.client.publishAsync('home/doorbell', 'ding');
    const m = await h.waitFor('mqtt/home/lights/kitchen');
    expect(m.data).toEqual({ on: true });
    expect((await h.waitFor('mqtt/home/doorbell')).data).toBe('ding');
    await sleep(400);
    // The broker saw each outside message once, and nothing of this gateway's under mqtt/...
    expect(watcher.got.filter((r) => r.topic === 'home/lights/kitchen')).toHaveLength(1);
    expect(watcher.got.filter((r) => r.topic.startsWith('acgateway/track1/mqtt/'))).toEqual([]);
    // Its own exports under acgateway/track1/ are not imported back either.
    h.host.bus.publish('demo/x', 1);
    await watcher.next((r) => r.topic === 'acgateway/track1/demo/x');
    await sleep(200);
    expect(h.published('mqtt/acgateway/#')).toEqual([]);
  });

  it('runs commands: MQTT 5 request/response with correlation data, read-only by default, admin when configured, audited', async () => {
    const b = await broker();
    const h = await gateway({ url: b.url });
    await connected(h);
    const asker = await observer(b.url, ['replies/me']);
    const ask = async (line: string, corr: string) => {
      await asker.client.publishAsync('acgateway/track1/cmd', JSON.stringify({ line, id: corr }), { qos: 1, properties: { responseTopic: 'replies/me', correlationData: Buffer.from(corr), userProperties: { user: 'race-control' } } });
      const r = await asker.next((x) => x.packet.properties?.correlationData?.toString() === corr);
      return JSON.parse(r.text);
    };
    expect(await ask('x echo hello there', 'c1')).toEqual({ id: 'c1', data: { echo: 'hello there' } });
    const refused = await ask('x set 3', 'c2');
    expect(refused.error.code).toBe('FORBIDDEN');
    expect(h.logs.some((l) => l.msg === 'command refused or failed' && (l.caller as { endpoint: string; id: string }).endpoint === 'mqtt' && (l.caller as { id: string }).id === 'mqtt:race-control')).toBe(true);
    expect((await ask('x nope', 'c3')).error.code).toBe('UNKNOWN_VERB');
    await t!.stop();
    const admin = await gateway({ url: b.url, commands: { role: 'admin' } });
    await connected(admin);
    expect(await ask('x set 3', 'c4')).toEqual({ id: 'c4', data: { set: 3 } });
    expect(admin.logs.some((l) => l.msg === 'command run' && l.verb === 'x set')).toBe(true);
  });

  it('speaks MQTT 3.1.1 too: exports without properties, replies on cmd/reply', async () => {
    const b = await broker();
    const h = await gateway({ url: b.url, protocolVersion: 4, export: ['demo/#'] });
    await connected(h);
    const o = await observer(b.url, ['acgateway/track1/#'], { protocolVersion: 4 });
    h.host.bus.publish('demo/t', { a: 1 });
    expect(JSON.parse((await o.next((r) => r.topic === 'acgateway/track1/demo/t')).text)).toEqual({ a: 1 });
    await o.client.publishAsync('acgateway/track1/cmd', 'x echo plain text', { qos: 1 });
    const reply = await o.next((r) => r.topic === 'acgateway/track1/cmd/reply');
    expect(JSON.parse(reply.text)).toEqual({ id: null, data: { echo: 'plain text' } });
    await o.client.publishAsync('acgateway/track1/cmd', '{"line": 5}', { qos: 1 });
    const bad = await o.next((r) => r.topic === 'acgateway/track1/cmd/reply' && r.text.includes('BAD_FRAME'));
    expect(JSON.parse(bad.text).error.message).toMatch(/"line"/);
  });

  it('starts with the broker away (degraded, local delivery unaffected), connects when it comes, keeps a bounded queue, and recovers from a restart', { timeout: 30_000 }, async () => {
    // The gateway dials a gate in front of the broker that refuses it until the observer is
    // subscribed: the queued messages cannot go out before someone listens.
    const port = await freePort();
    let open = false;
    const sockets = new Set<net.Socket>();
    const gate = net.createServer((c) => {
      if (!open) return void c.destroy();
      sockets.add(c);
      const up = net.connect(port, '127.0.0.1');
      c.pipe(up).pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      gate.close();
      for (const c of sockets) c.destroy();
    });
    const gatePort = (gate.address() as net.AddressInfo).port;
    const h = await gateway({ url: `mqtt://127.0.0.1:${gatePort}`, export: ['ev/#'], import: ['in/#'], maxBufferedMessages: 10, reconnectMs: 200 });
    expect(linkState(h).state).toBe('degraded');
    expect(linkState(h).reason).toMatch(/cannot reach the broker/);
    expect((await (await fetch(h.urls.health)).json()).status).toBe('degraded');
    for (let i = 0; i < 50; i++) h.host.bus.publish('ev/n', { i });
    expect(h.published('ev/n')).toHaveLength(50); // local delivery went on
    expect(linkState(h).dropped).toBe(40);
    const b = await broker({ port });
    const o = await observer(b.url, ['acgateway/track1/ev/#']);
    open = true;
    await connected(h);
    await until('the queued ten', () => o.got.length === 10);
    expect(o.got.map((r) => JSON.parse(r.text).i)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    expect((await (await fetch(h.urls.health)).json()).status).toBe('ok');
    expect(await h.metric('acgateway_mqtt_dropped_total')).toBe(40);
    // The broker restarts: the bridge reconnects and subscribes again.
    await b.kill();
    await until('the bridge sees it go', () => linkState(h).state === 'degraded', 8000);
    await b.start();
    await connected(h);
    const outside = await observer(b.url, []);
    await outside.client.publishAsync('in/again', '"back"');
    expect((await h.waitFor('mqtt/in/again', undefined, 8000)).data).toBe('back');
  });

  it('holds a topic to maxRateHz, and the newest value still goes out', async () => {
    const b = await broker();
    const h = await gateway({ url: b.url, export: [{ pattern: 'fast/#', maxRateHz: 5 }, 'slow/#'] });
    await connected(h);
    const o = await observer(b.url, ['acgateway/track1/#']);
    for (let i = 0; i < 100; i++) {
      h.host.bus.publish('fast/x', { i });
      h.host.bus.publish('slow/x', { i });
      await sleep(10);
    }
    await o.next((r) => r.topic === 'acgateway/track1/fast/x' && JSON.parse(r.text).i === 99, 3000);
    const fast = o.got.filter((r) => r.topic === 'acgateway/track1/fast/x');
    // About 1 s at 5 Hz: a handful, far from the hundred published; every one of the others went out.
    expect(fast.length).toBeLessThanOrEqual(12);
    expect(fast.length).toBeGreaterThanOrEqual(3);
    await until('every slow message', () => o.got.filter((r) => r.topic === 'acgateway/track1/slow/x').length === 100);
  });

  it('connects over TLS with a CA and a client certificate; without the certificate it is refused', async () => {
    const tmp = await tempDir('acgw-tls-');
    try {
      const c = await makeTestCerts(tmp.dir);
      const b = await broker({ extra: `cafile ${c.ca}\ncertfile ${c.serverCert}\nkeyfile ${c.serverKey}\nrequire_certificate true` });
      const url = `mqtts://127.0.0.1:${b.port}`;
      const without = await gateway({ url, tls: { ca: c.ca } });
      // Refused by the broker, not merely not connected yet: the reason carries the TLS error.
      await until('the broker refusing it', () => linkState(without).reason?.includes('cannot reach the broker:'), 8000);
      expect(linkState(without).state).toBe('degraded');
      await t!.stop();
      const h = await gateway({ url, tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey }, export: ['a/#'] });
      await connected(h);
    } finally {
      await tmp.remove();
    }
  });

  it('logs in with a user and password, and never logs the password', async () => {
    const b = await broker({ users: { gateway: 's3cret-pass' } });
    const wrong = await gateway({ url: b.url, username: 'gateway', password: 'wrong-pass' });
    await until('a refusal seen', () => /Not authorized|Bad User Name or Password|not authorized/i.test(linkState(wrong).reason ?? ''), 8000);
    await t!.stop();
    const h = await gateway({ url: `mqtt://gateway:s3cret-pass@127.0.0.1:${b.port}`, username: 'gateway', password: 's3cret-pass', export: ['a/#'] });
    await connected(h);
    expect(JSON.stringify(h.logs)).not.toContain('s3cret-pass');
    expect(JSON.stringify(await h.dispatch('mqtt status'))).not.toContain('s3cret-pass');
  });
});

const bin = path.resolve(fileURLToPath(import.meta.url), '../../../cli/bin/acgateway.js');
const mqttDist = path.resolve(fileURLToPath(import.meta.url), '../../dist/index.js');
const built = existsSync(mqttDist) && existsSync(path.resolve(bin, '../../dist/main.js'));

describe.skipIf(skipWithout(mosquittoPath, 'mosquitto') || !built)('plugin-mqtt: the last will', () => {
  it('a gateway killed outright is reported offline by the broker; one that stops says offline itself', { timeout: 30_000 }, async () => {
    const b = await broker();
    const tmp = await tempDir('acgw-mqtt-');
    try {
      const o = await observer(b.url, ['acgateway/+/status']);
      const start = async (node: string) => {
        const file = path.join(tmp.dir, `${node}.config.mjs`);
        await writeFile(file, `import mqtt from ${JSON.stringify(pathToFileURL(mqttDist).href)};\nexport default { server: { port: ${await freePort()} }, plugins: [mqtt({ url: '${b.url}', node: '${node}' })] };\n`);
        const child = spawn(process.execPath, [bin, 'start', '--config', file], { stdio: ['ignore', 'ignore', 'ignore'] });
        children.push(child);
        await o.next((r) => r.topic === `acgateway/${node}/status` && r.text === 'online', 15_000);
        return child;
      };
      const killed = await start('killed');
      killed.kill('SIGKILL');
      await o.next((r) => r.topic === 'acgateway/killed/status' && r.text === 'offline', 10_000);
      const stopped = await start('stopped');
      const exited = new Promise((r) => stopped.once('exit', r));
      stopped.kill('SIGINT');
      await exited;
      await o.next((r) => r.topic === 'acgateway/stopped/status' && r.text === 'offline', 5000);
    } finally {
      await tmp.remove();
    }
  });
});
