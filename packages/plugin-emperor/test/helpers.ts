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

/**
 * This plugin's bad-input count of one kind; without a kind, 0 exactly when nothing at all was
 * counted (a series exists only once counted, so the first one found is at least 1).
 */
export function badInput(t: TestHost, kind?: string): Promise<number> {
  return t.metric('acgateway_bad_input_total', kind === undefined ? { plugin: 'emperor' } : { plugin: 'emperor', kind });
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
