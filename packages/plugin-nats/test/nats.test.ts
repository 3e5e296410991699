import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { API_VERSION, coreServices, definePlugin, Host } from '@acgateway/core';
import { pino } from 'pino';
import { createTestHost, freePort, sleep, tempDir, until, type TestHost } from '@acgateway/testing';
import nats, { escapeLevel, intersectPatterns, parseSubject, wantedImports, subjectFilter, subjectOf, unescapeLevel, type NatsOptionsInput } from '@acgateway/plugin-nats';
import { createUser } from '@nats-io/nkeys';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTestCerts, natsOperatorSetup, natsServerPath, skipWithout, startNatsServer } from '../../../test-support/brokers.mjs';

// Several gateways as one, against a real nats-server (-js) started here: export and import without
// loops, retained values for a gateway that joins late (JetStream KV), @node commands, and a server
// that is away at start or restarts.

describe('subjects', () => {
  it('escapes levels NATS cannot carry, reversibly', () => {
    for (const level of ['plain', 'a.b', 'x*y', 'more>', 'with space', '', '100%', 'tab\there']) {
      const t = escapeLevel(level);
      expect(t).not.toMatch(/[.*>\s]/);
      expect(unescapeLevel(t)).toBe(level);
    }
    const subject = subjectOf('track1', 'acudp/a.b/ /x');
    expect(subject).toBe('acg.track1.acudp.a%2Eb.%20.x');
    expect(parseSubject(subject)).toEqual({ node: 'track1', topic: 'acudp/a.b/ /x' });
    expect(subjectFilter('+/acudp/#')).toBe('acg.*.acudp.>');
  });

  it('cuts local subscriptions down to what the imports allow, once each', () => {
    expect(intersectPatterns('+/acudp/#', 'track1/#')).toBe('track1/acudp/#');
    expect(intersectPatterns('+/acudp/#', '#')).toBe('+/acudp/#');
    expect(intersectPatterns('+/acudp/#', 'track1/acudp/lap_completed')).toBe('track1/acudp/lap_completed');
    expect(intersectPatterns('+/acudp/#', 'track1/rf2/#')).toBeUndefined();
    expect(intersectPatterns('a/+/c', 'a/b/+')).toBe('a/b/c');
    expect(intersectPatterns('a/b', 'a/b/c')).toBeUndefined();
    // Nothing local wants imports: nothing to ask for; a local '#' wants all of them; covered ones go.
    expect(wantedImports(['+/acudp/#'], ['acudp/#', 'core/status'])).toEqual(['acudp/acudp/#']);
    expect(wantedImports(['+/acudp/#', '+/rf2/status'], ['#'])).toEqual(['+/acudp/#', '+/rf2/status']);
    expect(wantedImports(['+/acudp/#'], ['track1/acudp/lap_completed', 'track1/#', '+/acudp/car_update'])).toEqual(['track1/acudp/#', '+/acudp/car_update']);
    expect(wantedImports(['#'], ['a/#', 'a/#'])).toEqual(['a/#']);
  });
});

type Server = Awaited<ReturnType<typeof startNatsServer>>;
const servers: Server[] = [];
const hosts: Array<{ stop(): Promise<void> }> = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  for (const c of conns.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.remove();
});

const verbs = definePlugin({
  name: 'x',
  apiVersion: API_VERSION,
  deps: { config: coreServices.config },
  apply(api) {
    api.addCommand({ verb: 'x echo', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ echo: args.text, at: api.deps.config.server.port }) });
    api.addCommand({ verb: 'x set', args: [{ name: 'n', type: 'int' }], help: 'changes something', handler: ({ args }) => ({ set: args.n }) });
  },
});

async function gateway(options: NatsOptionsInput): Promise<TestHost> {
  const h = await createTestHost({ plugins: [verbs(), nats(options)] });
  hosts.push(h);
  return h;
}
const link = (h: TestHost) => h.host.describe().find((p) => p.name === 'nats')!.sources[0]!.status as { state: string; reason?: string; dropped: number; exported: number };
const connected = (h: TestHost) => until('the bridge connected', () => link(h).state === 'connected', 10_000);

describe.skipIf(skipWithout(natsServerPath, 'nats-server'))('plugin-nats against nats-server', () => {
  it('three gateways, each exporting and importing everything: every message arrives once per importer, nothing is echoed', { timeout: 30_000 }, async () => {
    const s = await startNatsServer();
    servers.push(s);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((node) => gateway({ servers: s.url, node, export: ['#'], import: ['#'] })));
    await Promise.all([a, b, c].map(connected));
    const raw = await connect({ servers: s.url });
    conns.push(raw);
    const seen: string[] = [];
    raw.subscribe('acg.*.acudp.>', { callback: (_e, m) => void seen.push(m.subject) });
    await raw.flush();
    a!.host.bus.publish('acudp/lap_completed', { carId: 3, lapTimeMs: 91234 }, { key: '3' });
    const atB = await b!.waitFor('a/acudp/lap_completed');
    const atC = await c!.waitFor('a/acudp/lap_completed');
    expect(atB.data).toEqual({ carId: 3, lapTimeMs: 91234 });
    expect(atB.key).toBe('3');
    expect(atC.ts).toBe(a!.published('acudp/lap_completed')[0]!.ts);
    await sleep(400);
    expect(seen).toEqual(['acg.a.acudp.lap_completed']);
    // Nothing came back through a second node, live or through the KV bucket (<node>/<node>/...).
    for (const h of [a!, b!, c!]) for (const n of ['a', 'b', 'c']) expect(h.published(`+/${n}/#`).map((m) => m.topic)).toEqual([]);
    expect(b!.published('a/acudp/lap_completed')).toHaveLength(1);
    expect(c!.published('a/acudp/lap_completed')).toHaveLength(1);
    expect(a!.published('a/#')).toHaveLength(0);
  });

  it('keeps retained values in JetStream KV: a gateway that joins late has them at once; a cleared one goes away', { timeout: 30_000 }, async () => {
    const s = await startNatsServer();
    servers.push(s);
    const track = await gateway({ servers: s.url, node: 'track1', export: ['acudp/#'] });
    await connected(track);
    track.host.bus.publish('acudp/state', { session: 'RACE', drivers: 24 }, { retain: true });
    track.host.bus.publish('acudp/lap_completed', { carId: 1 });
    await sleep(300);
    const viewer = await gateway({ servers: s.url, node: 'viewer', import: ['+/acudp/#'] });
    await connected(viewer);
    const state = await viewer.waitFor('track1/acudp/state', undefined, 5000);
    expect(state.data).toEqual({ session: 'RACE', drivers: 24 });
    expect(viewer.host.bus.last('track1/acudp/state')?.data).toEqual({ session: 'RACE', drivers: 24 });
    expect(viewer.published('track1/acudp/lap_completed')).toEqual([]); // events are not kept
    track.host.bus.clearRetained('acudp/state');
    await until('the clear crossed', () => viewer.host.bus.last('track1/acudp/state') === undefined);
    const late = await gateway({ servers: s.url, node: 'late', import: ['+/acudp/#'] });
    await connected(late);
    await sleep(300);
    expect(late.host.bus.last('track1/acudp/state')).toBeUndefined();
  });

  it('sends @node commands by request/reply; the node applies its own rules (read-only by default) and audits them', { timeout: 30_000 }, async () => {
    const s = await startNatsServer();
    servers.push(s);
    const track = await gateway({ servers: s.url, node: 'track1' });
    const admin = await gateway({ servers: s.url, node: 'track2', commands: { role: 'admin' } });
    const control = await gateway({ servers: s.url, node: 'control', commands: { timeoutMs: 1000 } });
    await Promise.all([track, admin, control].map(connected));
    expect(await control.dispatch('@track1 x echo "Race starts in 5"')).toEqual({ echo: 'Race starts in 5', at: expect.any(Number) });
    await expect(control.dispatch('@track1 x set 3')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(track.logs.some((l) => l.msg === 'command refused or failed' && (l.caller as { endpoint: string; remote: string }).endpoint === 'nats' && (l.caller as { remote: string }).remote === 'control')).toBe(true);
    expect(await control.dispatch('@track2 x set 3')).toEqual({ set: 3 });
    expect(admin.logs.some((l) => l.msg === 'command run' && (l.caller as { id: string }).id.startsWith('control:'))).toBe(true);
    await expect(control.dispatch('@nobody x echo hi')).rejects.toMatchObject({ code: 'UNKNOWN_NODE' });
    expect(control.logs.some((l) => l.msg === 'command sent to another gateway' && l.node === 'track1')).toBe(true);
    // Over the gateway websocket, as any client would.
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(control.urls.gateway);
    const reply = await new Promise<any>((resolve) => {
      ws.on('message', (d) => { const f = JSON.parse(d.toString()); if (f.id === 'r1') resolve(f); });
      ws.once('open', () => ws.send(JSON.stringify({ op: 'command', id: 'r1', line: '@track1 x echo over ws' })));
    });
    ws.close();
    expect(reply.data).toMatchObject({ echo: 'over ws' });
  });

  it('asks NATS only for the imports a local subscriber wants, and delivers overlapping ones once', { timeout: 30_000 }, async () => {
    const s = await startNatsServer();
    servers.push(s);
    const track = await gateway({ servers: s.url, node: 'track1', export: ['acudp/#'] });
    await connected(track);
    // A bare host (no test kit subscribing to everything): no client, no interest.
    const viewer = new Host({ config: { plugins: [nats({ servers: s.url, node: 'viewer', import: ['+/acudp/#', 'track1/#'] })], server: { enabled: false } }, logger: pino({ level: 'silent' }) });
    hosts.push(viewer);
    await viewer.start();
    const status = () => viewer.describe().find((p) => p.name === 'nats')!.sources[0]!.status as { state: string; imported: number; importing: string[] };
    await until('the viewer connected', () => status().state === 'connected', 10_000);
    expect(status().importing).toEqual([]);
    track.host.bus.publish('acudp/car_update', { carId: 1 });
    await sleep(300);
    expect(status().imported).toBe(0);

    // A client wants laps: only that is asked for, and only that arrives.
    const laps: unknown[] = [];
    const sub = viewer.bus.subscribe('track1/acudp/lap_completed', (m) => void laps.push(m.data), { policy: 'queue' });
    await until('the interest reached NATS', () => status().importing.length === 1, 5000);
    expect(status().importing).toEqual(['track1/acudp/lap_completed']);
    await sleep(100);
    track.host.bus.publish('acudp/lap_completed', { carId: 7 });
    track.host.bus.publish('acudp/car_update', { carId: 2 });
    await until('the lap', () => laps.length === 1, 5000);
    await sleep(300);
    expect(status().imported).toBe(1);

    // A wider subscription covers it: one NATS subscription, each message once.
    const everything: string[] = [];
    const wide = viewer.bus.subscribe('#', (m) => void everything.push(m.topic), { policy: 'queue', retained: false });
    await until('the wider interest', () => status().importing.join() === '+/acudp/#,track1/#', 5000);
    await sleep(100);
    track.host.bus.publish('acudp/lap_completed', { carId: 8 });
    await until('the second lap', () => laps.length === 2, 5000);
    await sleep(300);
    expect(everything.filter((t) => t === 'track1/acudp/lap_completed')).toHaveLength(1);
    expect(laps).toEqual([{ carId: 7 }, { carId: 8 }]);
    wide.unsubscribe();
    sub.unsubscribe();
    await until('no interest left', () => status().importing.length === 0, 5000);
  });

  it('logs in with a token or a user and password, refused without, and never logs the secret', { timeout: 30_000 }, async () => {
    const withToken = await startNatsServer({ args: ['--auth', 's3cret-token-1'] });
    servers.push(withToken);
    const refused = await gateway({ servers: withToken.url, node: 'nope' });
    // Degraded from the start; the reason names the broker's refusal once the first attempt is answered.
    await until('the refusal', () => /authorization/i.test(link(refused).reason ?? ''), 10_000);
    expect(link(refused).state).toBe('degraded');
    expect(link(refused).reason).toMatch(/not connected \(.*(Authorization|authorization)/);
    const ok = await gateway({ servers: withToken.url, node: 'tok', token: 's3cret-token-1' });
    await connected(ok);
    const withUser = await startNatsServer({ args: ['--user', 'league', '--pass', 's3cret-pass-2'] });
    servers.push(withUser);
    const user = await gateway({ servers: withUser.url, node: 'usr', user: 'league', pass: 's3cret-pass-2' });
    await connected(user);
    for (const h of [refused, ok, user]) {
      expect(JSON.stringify(h.logs)).not.toMatch(/s3cret/);
      expect(JSON.stringify(await h.dispatch('nats status'))).not.toMatch(/s3cret/);
    }
  });

  it('a slow viewer client conflates (latest) what crossed the hop instead of queueing it', { timeout: 30_000 }, async () => {
    const s = await startNatsServer();
    servers.push(s);
    const track = await gateway({ servers: s.url, node: 'track1', export: ['acudp/#'] });
    const viewer = await gateway({ servers: s.url, node: 'viewer', import: ['+/acudp/#'] });
    await Promise.all([connected(track), connected(viewer)]);
    const got: Array<{ carId: number; seq: number }> = [];
    const sub = viewer.host.bus.subscribe('track1/acudp/car_update', (m) => void got.push(m.data as { carId: number; seq: number }), { policy: 'latest' });
    sub.pause(); // a client that does not read
    for (let seq = 0; seq < 2000; seq++) track.host.bus.publish('acudp/car_update', { carId: seq % 4, seq }, { key: String(seq % 4) });
    await until('every update crossed', () => viewer.published('track1/acudp/car_update').length === 2000, 10_000);
    expect(sub.pending).toBe(4); // one per car, not 2000
    sub.resume();
    expect(got.map((d) => d.seq).sort((a, b) => a - b)).toEqual([1996, 1997, 1998, 1999]);
    sub.unsubscribe();
  });

  it('logs in with an NKey seed, refused with another key, and never logs the seed', { timeout: 30_000 }, async () => {
    const tmp = await tempDir('acgw-nkey-');
    try {
      const user = createUser();
      const stranger = createUser();
      const seed = new TextDecoder().decode(user.getSeed());
      const conf = path.join(tmp.dir, 'nkey.conf');
      await writeFile(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
      const s = await startNatsServer({ args: ['-c', conf] });
      servers.push(s);
      const refused = await gateway({ servers: s.url, node: 'nope', nkeySeed: new TextDecoder().decode(stranger.getSeed()) });
      await until('the refusal', () => /authorization/i.test(link(refused).reason ?? ''), 10_000);
      expect(link(refused).state).toBe('degraded');
      const ok = await gateway({ servers: s.url, node: 'nk', nkeySeed: seed, export: ['a/#'] });
      await connected(ok);
      expect(JSON.stringify(ok.logs)).not.toContain(seed);
      expect(JSON.stringify(await ok.dispatch('nats status'))).not.toContain(seed);
    } finally {
      await tmp.remove();
    }
  });

  it('logs in with a .creds file (operator mode, JWT), refused with an unknown account, and never logs the seed', { timeout: 30_000 }, async () => {
    const tmp = await tempDir('acgw-creds-');
    try {
      const op = await natsOperatorSetup(tmp.dir);
      const s = await startNatsServer({ args: ['-c', op.conf] });
      servers.push(s);
      const foreign = await op.creds({ foreign: true });
      const refused = await gateway({ servers: s.url, node: 'nope', credsFile: foreign.file });
      await until('the refusal', () => /authorization/i.test(link(refused).reason ?? ''), 10_000);
      const mine = await op.creds();
      const ok = await gateway({ servers: s.url, node: 'jwt', credsFile: mine.file, export: ['a/#'] });
      await connected(ok);
      expect(JSON.stringify(ok.logs)).not.toContain(mine.seed);
      expect(JSON.stringify(await ok.dispatch('nats status'))).not.toContain(mine.seed);
    } finally {
      await tmp.remove();
    }
  });

  it('connects over TLS with a CA and a client certificate; without the certificate it is refused', { timeout: 30_000 }, async () => {
    const tmp = await tempDir('acgw-nats-tls-');
    try {
      const c = await makeTestCerts(tmp.dir);
      const s = await startNatsServer({ args: ['--tlscert', c.serverCert, '--tlskey', c.serverKey, '--tlscacert', c.ca, '--tlsverify'] });
      servers.push(s);
      const without = await gateway({ servers: s.url, node: 'nocert', tls: { ca: c.ca }, connectTimeoutMs: 1500 });
      await until('the refusal', () => /not connected \(.+\)/.test(link(without).reason ?? ''), 10_000);
      expect(link(without).state).toBe('degraded');
      const ok = await gateway({ servers: s.url, node: 'withcert', tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey }, export: ['a/#'] });
      await connected(ok);
      // And it carries data: a raw TLS subscriber with the same certificate sees the export.
      const raw = await connect({ servers: s.url, tls: { caFile: c.ca, certFile: c.clientCert, keyFile: c.clientKey } });
      conns.push(raw);
      const seen: string[] = [];
      raw.subscribe('acg.withcert.>', { callback: (_e, m) => void seen.push(m.subject) });
      await raw.flush();
      ok.host.bus.publish('a/b', 1);
      await until('the export over TLS', () => seen.length === 1, 5000);
      expect(seen).toEqual(['acg.withcert.a.b']);
    } finally {
      await tmp.remove();
    }
  });

  it('starts with NATS away (degraded, local delivery unaffected), connects when it comes, and recovers from a restart', { timeout: 40_000 }, async () => {
    const port = await freePort();
    const track = await gateway({ servers: `nats://127.0.0.1:${port}`, node: 'track1', export: ['ev/#'], maxBufferedMessages: 10 });
    expect(link(track).state).toBe('degraded');
    expect((await (await fetch(track.urls.health)).json()).status).toBe('degraded');
    for (let i = 0; i < 30; i++) track.host.bus.publish('ev/n', { i });
    expect(track.published('ev/n')).toHaveLength(30);
    expect(link(track).dropped).toBe(20);
    const s = await startNatsServer({ port });
    servers.push(s);
    const viewer = await gateway({ servers: s.url, node: 'viewer', import: ['+/ev/#'] });
    await Promise.all([connected(track), connected(viewer)]);
    expect((await (await fetch(track.urls.health)).json()).status).toBe('ok');
    await s.kill();
    await until('the bridge sees it go', () => link(track).state === 'degraded', 10_000);
    await s.start();
    await Promise.all([connected(track), connected(viewer)]);
    track.host.bus.publish('ev/after', { back: true });
    expect((await viewer.waitFor('track1/ev/after', undefined, 8000)).data).toEqual({ back: true });
  });
});
