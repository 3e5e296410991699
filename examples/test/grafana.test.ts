import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
import { createTestHost, until, type TestHost } from '@acgateway/testing';
import { acudp } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import mqtt from '@acgateway/plugin-mqtt';
import { mosquittoPath, skipWithout, startMosquitto } from '../../test-support/brokers.mjs';

// The Grafana example's files against what the gateway really sends: every path Telegraf reads
// exists in real MQTT payloads, every field the race dashboard queries is one Telegraf writes, every
// metric the gateway dashboard queries is in /metrics.

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../grafana');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');

interface ConsumerBlock { topics: string[]; measurement: string; tags: string[]; fields: Array<{ path: string; name: string }>; object?: { path: string; tags: string[]; fields: string[] } }

/** The [[inputs.mqtt_consumer]] blocks of telegraf.conf, read for what the test checks. */
function consumers(conf: string): ConsumerBlock[] {
  return conf.split('[[inputs.mqtt_consumer]]').slice(1).map((block) => {
    const topics = JSON.parse(/topics = (\[.*\])/.exec(block)![1]!) as string[];
    const measurement = /measurement_name = "([^"]+)"/.exec(block)![1]!;
    const tags = [...block.matchAll(/json_v2\.tag\]\]\s*\n\s*path = "([^"]+)"/g)].map((m) => m[1]!);
    const fields = [...block.matchAll(/json_v2\.field\]\]\s*\n\s*path = "([^"]+)"(?:\s*\n\s*rename = "([^"]+)")?/g)].map((m) => ({ path: m[1]!, name: m[2] ?? m[1]! }));
    const obj = /json_v2\.object\]\]\s*\n\s*path = "([^"]+)"\s*\n\s*tags = (\[.*\])[\s\S]*?object\.fields\]\s*\n((?:\s*\w+ = "\w+"\s*\n?)+)/.exec(block);
    const object = obj ? { path: obj[1]!, tags: JSON.parse(obj[2]!) as string[], fields: [...obj[3]!.matchAll(/(\w+) = /g)].map((m) => m[1]!) } : undefined;
    return { topics, measurement, tags, fields, object };
  });
}

const at = (v: unknown, p: string): unknown => p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);
const mqttMatch = (filter: string, topic: string) => new RegExp(`^${filter.split('/').map((l) => (l === '+' ? '[^/]+' : l === '#' ? '.*' : l)).join('/')}$`).test(topic);

let t: TestHost | undefined;
let fake: FakeAcServer | undefined;
let sub: MqttClient | undefined;
let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
afterEach(async () => {
  await sub?.endAsync(true);
  await t?.stop();
  await fake?.stop();
  await broker?.remove();
  t = fake = sub = broker = undefined;
});

describe.skipIf(skipWithout(mosquittoPath, 'mosquitto'))('examples/grafana', () => {
  it("telegraf.conf and both dashboards use only what the gateway sends", { timeout: 30_000 }, async () => {
    broker = await startMosquitto();
    fake = new FakeAcServer({ cars: 4, drivers: 4, lapMs: 500, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
    await fake.listen();
    t = await createTestHost({
      plugins: [
        acudp({ listenPort: 0, serverPort: fake.commandPort, realtimeIntervalMs: 50 }),
        mqtt({ url: broker.url, node: 'track1', export: [{ pattern: 'acudp/lap_completed', qos: 1 }, { pattern: 'acudp/car_update', maxRateHz: 10 }] }),
      ],
    });
    sub = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const got: Array<{ topic: string; data: unknown }> = [];
    sub.on('message', (topic, payload) => got.push({ topic, data: JSON.parse(payload.toString()) }));
    await sub.subscribeAsync('acgateway/+/acudp/#', { qos: 1 });
    await until('the bridge connected', () => (t!.host.describe().find((p) => p.name === 'mqtt')!.sources[0]!.status as { state: string }).state === 'connected', 8000);
    const port = (t.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort;
    fake.setPluginAddress(port);
    await fake.start();
    await until('laps and car updates over MQTT', () => got.some((g) => g.topic.endsWith('/lap_completed')) && got.some((g) => g.topic.endsWith('/car_update')), 15_000);

    // Telegraf: every path it reads is in the payloads of its topics, with a number there.
    const blocks = consumers(read('telegraf.conf'));
    expect(blocks.map((b) => b.measurement)).toEqual(['ac_lap', 'ac_leaderboard', 'ac_car']);
    const written = new Map<string, { fields: Set<string>; tags: Set<string> }>();
    for (const b of blocks) {
      const payloads = got.filter((g) => b.topics.some((f) => mqttMatch(f, g.topic))).map((g) => g.data);
      expect(payloads.length, b.measurement).toBeGreaterThan(0);
      for (const p of payloads) {
        for (const f of [...b.fields.map((x) => x.path), ...b.tags]) expect(typeof at(p, f), `${b.measurement}: ${f}`).toBe('number');
        if (b.object) {
          const rows = at(p, b.object.path) as Array<Record<string, unknown>>;
          expect(Array.isArray(rows) && rows.length > 0, `${b.measurement}: ${b.object.path}`).toBe(true);
          for (const row of rows) for (const k of [...b.object.fields, ...b.object.tags]) expect(typeof row[k], `${b.object.path}.${k}`).toBe('number');
        }
      }
      written.set(b.measurement, { fields: new Set([...b.fields.map((x) => x.name), ...(b.object?.fields ?? [])]), tags: new Set(['node', ...b.tags, ...(b.object?.tags ?? [])]) });
    }

    // The race dashboard: every measurement, field and tag in its Flux queries is one Telegraf writes.
    const race = JSON.parse(read('dashboard-race.json')) as { panels: Array<{ title: string; targets: Array<{ query: string }> }> };
    for (const panel of race.panels) {
      const q = panel.targets.map((x) => x.query).join('\n');
      const measurement = /r\._measurement == "(\w+)"/.exec(q)?.[1];
      expect(measurement && written.has(measurement), `${panel.title}: measurement ${measurement}`).toBe(true);
      const w = written.get(measurement!)!;
      for (const [, f] of q.matchAll(/r\._field == "(\w+)"/g)) expect(w.fields.has(f!), `${panel.title}: field ${f}`).toBe(true);
      for (const [, tag] of q.matchAll(/\br\.(?!_)(\w+)/g)) if (!w.fields.has(tag!)) expect(w.tags.has(tag!), `${panel.title}: tag ${tag}`).toBe(true);
      for (const [, cols] of q.matchAll(/group\(columns: \[([^\]]*)\]\)/g)) for (const [, c] of cols!.matchAll(/"(\w+)"/g)) expect(w.tags.has(c!), `${panel.title}: group by ${c}`).toBe(true);
    }

    // The gateway dashboard: every metric and label it queries is in /metrics.
    const metrics = await (await fetch(t.urls.metrics)).text();
    const gateway = JSON.parse(read('dashboard-gateway.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    for (const panel of gateway.panels) {
      const expr = panel.targets.map((x) => x.expr).join(' ');
      const names = [...expr.matchAll(/\b(acgateway_\w+)/g)].map((m) => m[1]!);
      expect(names.length, panel.title).toBeGreaterThan(0);
      for (const name of names) {
        expect(metrics, `${panel.title}: ${name}`).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
        // Labels by the metric's declaration: a counter no client has moved yet has no series to read them from.
        const found = t.host.metrics.find(name);
        const declared = [...((found?.metric as unknown as { labelNames?: string[] } | undefined)?.labelNames ?? []), ...(found?.plugin ? ['plugin'] : [])];
        for (const [, labels] of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of labels!.split(',').map((s) => s.trim())) expect(declared, `${panel.title}: ${name}{${label}}`).toContain(label);
        }
      }
    }
  });
});
