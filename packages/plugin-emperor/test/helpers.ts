import { createTestHost, type TestHost } from '@acgateway/testing';
import emperor from '@acgateway/plugin-emperor';
import { FakeRaceControlServer, type FakeRaceControlOptions } from '@acgateway/plugin-emperor/fake';

type ServerEntry = { name: string; url: string; origin?: string | false; cookie?: string; teamTag?: string; teamName?: string };

/** Fast reconnects and liveness so each step takes milliseconds; the defaults are for real servers. */
export const FAST = { reconnect: { initialMs: 20, maxMs: 200, jitter: 0.2 }, pingIntervalMs: 100, deadAfterMs: 2000, handshakeTimeoutMs: 2000 };

const hosts: TestHost[] = [];
const fakes: FakeRaceControlServer[] = [];

export async function startFake(options: FakeRaceControlOptions = {}): Promise<FakeRaceControlServer> {
  const fake = new FakeRaceControlServer({ pingIntervalMs: 200, ...options });
  await fake.start();
  fakes.push(fake);
  return fake;
}

export async function startHost(servers: ServerEntry[], extra: Record<string, unknown> = {}): Promise<TestHost> {
  const t = await createTestHost({ plugins: [emperor({ servers, ...FAST, ...extra } as Parameters<typeof emperor>[0])] });
  hosts.push(t);
  return t;
}

/** For afterEach: stops what startHost and startFake started, hosts first so no reconnect races a closing fake. */
export async function stopAll(): Promise<void> {
  for (const t of hosts.splice(0)) await t.stop();
  for (const f of fakes.splice(0)) await f.stop();
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
