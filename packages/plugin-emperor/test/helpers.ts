import { createTestHost, type TestHost } from '@acgateway/core/testing';
import emperor, { FakeRaceControlServer, type FakeRaceControlOptions } from '@acgateway/plugin-emperor';

type ServerEntry = { name: string; url: string; origin?: string | false; cookie?: string; teamTag?: string; teamName?: string };

/** Fast reconnects and liveness so each step takes milliseconds; the defaults are for real servers. */
export const FAST = { reconnect: { initialMs: 20, maxMs: 200, jitter: 0.2 }, pingIntervalMs: 100, deadAfterMs: 2000, handshakeTimeoutMs: 2000 };

export async function startFake(options: FakeRaceControlOptions = {}): Promise<FakeRaceControlServer> {
  const fake = new FakeRaceControlServer({ pingIntervalMs: 200, ...options });
  await fake.start();
  return fake;
}

export async function startHost(servers: ServerEntry[], extra: Record<string, unknown> = {}): Promise<TestHost> {
  return createTestHost({ plugins: [emperor({ servers, ...FAST, ...extra } as Parameters<typeof emperor>[0])] });
}

/** Polls until `check` returns a truthy value (or throws with `what`). */
export async function until<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The bad-input counter of this plugin, by kind. */
export async function badInput(t: TestHost): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await t.host.metrics.badInput.get()).values) {
    if (v.labels.plugin === 'emperor') out[String(v.labels.kind)] = v.value;
  }
  return out;
}

/** Latest message on a topic. */
export function latest<T>(t: TestHost, topic: string): T | undefined {
  const list = t.published(topic);
  return list.length ? (list[list.length - 1]!.data as T) : undefined;
}

export function count(t: TestHost, topic: string): number {
  return t.published(topic).length;
}

export const SAM = { guid: '76561198000000001', name: 'Sam Carter-YORK' };
export const ALEX = { guid: '76561198000000002', name: 'Alex Jones' };
export const PRIYA = { guid: '76561198000000003', name: 'Priya Patel-YORK' };
