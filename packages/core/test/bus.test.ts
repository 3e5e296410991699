import { describe, expect, it } from 'vitest';
import { Bus, compilePattern, validatePattern, type Message } from '@acgateway/core';

describe('topic patterns (MQTT syntax)', () => {
  it.each([
    ['acudp/#', 'acudp/car_update', true],
    ['acudp/#', 'acudp', true],
    ['acudp/#', 'rf2/telemetry', false],
    ['+/status', 'rf2/status', true],
    ['+/status', 'rf2/status/x', false],
    ['emperor/+/event/#', 'emperor/york/event/lap_completed', true],
    ['emperor/+/event/#', 'emperor/york/state', false],
    ['#', 'anything/at/all', true],
    ['rf2/telemetry', 'rf2/telemetry', true],
    ['rf2/telemetry', 'rf2/telemetryx', false],
  ])('%s matches %s: %s', (pattern, topic, expected) => {
    expect(compilePattern(pattern)(topic)).toBe(expected);
  });

  it('rejects wildcards that are not whole levels or # not last', () => {
    expect(validatePattern('acudp/#/x')).toMatch(/# must be a whole level and the last one/);
    expect(validatePattern('acudp/car+')).toMatch(/\+ must be a whole level/);
    expect(validatePattern('')).toMatch(/non-empty/);
  });
});

describe('Bus', () => {
  it('delivers in order to matching subscribers only and refuses wildcard topics on publish', () => {
    const bus = new Bus(() => 1000);
    const got: string[] = [];
    bus.subscribe('a/+', (m) => got.push(m.topic));
    bus.publish('a/x', 1);
    bus.publish('b/x', 2);
    bus.publish('a/y', 3);
    expect(got).toEqual(['a/x', 'a/y']);
    expect(() => bus.publish('a/#', 1)).toThrow(/must not contain the wildcards/);
  });

  it('gives a new subscriber the retained message at once', () => {
    const bus = new Bus();
    bus.publish('rf2/status', { connected: false }, { retain: true });
    bus.publish('rf2/status', { connected: true }, { retain: true });
    bus.publish('rf2/telemetry', { speed: 1 });
    const got: Message[] = [];
    bus.subscribe('rf2/#', (m) => got.push(m));
    expect(got.map((m) => m.data)).toEqual([{ connected: true }]);
  });

  it('latest policy conflates per topic while paused and keeps memory bounded', () => {
    const bus = new Bus();
    const got: Message[] = [];
    const sub = bus.subscribe('t/#', (m) => got.push(m), { policy: 'latest', maxTopics: 3 });
    sub.pause();
    for (let i = 0; i < 1000; i++) bus.publish(`t/${i % 2}`, i);
    expect(sub.pending).toBe(2);
    for (let i = 0; i < 10; i++) bus.publish(`t/many${i}`, i);
    expect(sub.pending).toBe(3); // bounded by maxTopics; the oldest topics were dropped and counted
    expect(sub.dropped).toBe(9);
    sub.resume();
    expect(got.map((m) => m.data)).toEqual([7, 8, 9]);
  });

  it('queue policy keeps order, drops the oldest past the bound and tells the subscriber', () => {
    const bus = new Bus();
    const got: number[] = [];
    const drops: number[] = [];
    const sub = bus.subscribe('ev', (m) => got.push(m.data as number), {
      policy: 'queue',
      maxQueue: 5,
      onDrop: (m, reason) => {
        expect(reason).toBe('queue-full');
        drops.push(m.data as number);
      },
    });
    sub.pause();
    for (let i = 0; i < 8; i++) bus.publish('ev', i);
    expect(sub.pending).toBe(5);
    expect(drops).toEqual([0, 1, 2]);
    sub.resume();
    expect(got).toEqual([3, 4, 5, 6, 7]);
    bus.publish('ev', 8);
    expect(got.at(-1)).toBe(8);
  });

  it('a throwing subscriber does not stop delivery to the others', () => {
    const errors: unknown[] = [];
    const bus = new Bus(Date.now, { onHandlerError: (e) => errors.push(e) });
    const got: number[] = [];
    bus.subscribe('x', () => {
      throw new Error('boom');
    });
    bus.subscribe('x', (m) => got.push(m.data as number));
    bus.publish('x', 1);
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('unsubscribe during delivery and pattern add/remove update the routes', () => {
    const bus = new Bus();
    const got: string[] = [];
    const sub = bus.subscribe('a', (m) => {
      got.push(m.topic);
      sub.unsubscribe();
    });
    bus.publish('a', 1);
    bus.publish('a', 2);
    expect(got).toEqual(['a']);
    const s2 = bus.subscribe('b', (m) => got.push(m.topic));
    s2.add(['c/+']);
    bus.publish('c/1', 0);
    s2.remove(['b']);
    bus.publish('b', 0);
    expect(got).toEqual(['a', 'c/1']);
    expect(bus.subscriptionCount).toBe(1);
  });

  it('tells whether a topic has subscribers', () => {
    const bus = new Bus();
    expect(bus.hasSubscribers('rf2/vehicles')).toBe(false);
    const sub = bus.subscribe('rf2/+', () => {});
    expect(bus.hasSubscribers('rf2/vehicles')).toBe(true);
    expect(bus.hasSubscribers('acudp/x')).toBe(false);
    sub.unsubscribe();
    expect(bus.hasSubscribers('rf2/vehicles')).toBe(false);
  });

  it('a publish filter may transform or drop a message', () => {
    const bus = new Bus(Date.now, {
      filter: (m) => (m.topic === 'secret' ? null : { ...m, data: { wrapped: m.data } }),
    });
    const got: Message[] = [];
    bus.subscribe('#', (m) => got.push(m));
    expect(bus.publish('secret', 1)).toBeNull();
    bus.publish('open', 2);
    expect(got.map((m) => [m.topic, m.data])).toEqual([['open', { wrapped: 2 }]]);
    expect(bus.stats.filtered).toBe(1);
  });
});

describe('conflation keys', () => {
  it('latest keeps the newest per topic and key, so every car survives a slow subscriber', () => {
    const conflated: Message[] = [];
    const bus = new Bus(Date.now, { onConflate: (m) => conflated.push(m) });
    const got: Message[] = [];
    const sub = bus.subscribe('acudp/car_update', (m) => got.push(m), { policy: 'latest' });
    sub.pause();
    for (let tick = 0; tick < 3; tick++) for (let car = 0; car < 4; car++) bus.publish('acudp/car_update', { car, tick }, { key: String(car) });
    expect(sub.pending).toBe(4);
    expect(conflated).toHaveLength(8);
    sub.resume();
    expect(got.map((m) => m.data)).toEqual([0, 1, 2, 3].map((car) => ({ car, tick: 2 })));
    expect(got[0]!.key).toBe('0');
  });
});

describe('what a bridge watches', () => {
  it('patterns() lists every subscribed pattern once; watchSubscriptions tells of changes once per turn', async () => {
    const bus = new Bus();
    let calls = 0;
    const stop = bus.watchSubscriptions(() => void calls++);
    const a = bus.subscribe(['track1/acudp/#', 'core/status'], () => {});
    const b = bus.subscribe('track1/acudp/#', () => {});
    expect(bus.patterns().sort()).toEqual(['core/status', 'track1/acudp/#']);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1); // two subscriptions in one turn: one call
    a.add(['+/rf2/#']);
    b.unsubscribe();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(bus.patterns().sort()).toEqual(['+/rf2/#', 'core/status', 'track1/acudp/#']);
    stop();
    a.unsubscribe();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(bus.patterns()).toEqual([]);
  });

  it('marks retained messages, and watchCleared tells which retained topic was cleared (only one that was there)', () => {
    const bus = new Bus();
    const cleared: string[] = [];
    bus.watchCleared((t) => cleared.push(t));
    expect(bus.publish('a/state', 1, { retain: true })!.retain).toBe(true);
    expect(bus.publish('a/event', 2)!.retain).toBe(false);
    bus.clearRetained('a/event');
    bus.clearRetained('a/state');
    bus.clearRetained('a/state');
    expect(cleared).toEqual(['a/state']);
    expect(bus.last('a/state')).toBeUndefined();
  });
});
