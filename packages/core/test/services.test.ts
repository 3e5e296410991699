import { describe, expect, it } from 'vitest';
import { API_VERSION, coreServices, createServiceRef, definePlugin, Host } from '@acgateway/core';
import { createTestHost } from '@acgateway/testing';

// Plugins offer each other services by typed ref; the host orders them by those dependencies,
// refuses what cannot work, and runs a lifecycle that always finishes.

interface Counter { count(): number; bump(): void }
const counterRef = createServiceRef<Counter>('counter.service');
const echoRef = createServiceRef<{ echo(s: string): string }>('echo.service');

const log: string[] = [];

const counter = definePlugin({
  name: 'counter',
  apiVersion: API_VERSION,
  provides: [counterRef],
  apply(api) {
    log.push('apply counter');
    let n = 0;
    api.provide(counterRef, { count: () => n, bump: () => void n++ });
  },
});

const user = definePlugin({
  name: 'user',
  apiVersion: API_VERSION,
  deps: { counter: counterRef, bus: coreServices.bus, logger: coreServices.logger },
  apply(api) {
    log.push('apply user');
    api.deps.counter.bump();
    api.deps.logger.info('user applied');
    api.addCommand({ verb: 'user count', access: 'read', help: 'the counter', handler: () => api.deps.counter.count() });
    api.addSource({ name: 's', start: () => void api.deps.bus.publish('user/ready', true), stop: () => {} });
  },
});

describe('service refs', () => {
  it('applies a provider before the plugins that use it, whatever the listed order, and hands them its service', async () => {
    log.length = 0;
    const t = await createTestHost({ plugins: [user(), counter()] });
    try {
      expect(log).toEqual(['apply counter', 'apply user']);
      expect(await t.dispatch('user count')).toBe(1);
      await t.waitFor('user/ready');
      // The logger a plugin gets by ref is its own, named after it.
      expect(t.logs.find((l) => l.msg === 'user applied')?.plugin).toBe('user');
      expect(t.host.describe().map((p) => p.name)).toEqual(['core', 'counter', 'user']);
    } finally {
      await t.stop();
    }
  });

  it('refuses a missing provider, two providers and a cycle before anything starts, naming the plugins', async () => {
    await expect(createTestHost({ plugins: [user()] })).rejects.toThrow(/plugin "user" needs service "counter\.service", which no listed plugin provides: add the plugin "counter"/);
    const counter2 = definePlugin({ name: 'counter2', apiVersion: API_VERSION, provides: [counterRef], apply(api) { api.provide(counterRef, { count: () => 0, bump() {} }); } });
    await expect(createTestHost({ plugins: [counter(), counter2()] })).rejects.toThrow(/plugins "counter" and "counter2" both provide service "counter\.service"/);
    const a = definePlugin({ name: 'a', apiVersion: API_VERSION, deps: { e: echoRef }, provides: [counterRef], apply(api) { api.provide(counterRef, { count: () => 0, bump() {} }); } });
    const b = definePlugin({ name: 'b', apiVersion: API_VERSION, deps: { c: counterRef }, provides: [echoRef], apply(api) { api.provide(echoRef, { echo: (s) => s }); } });
    await expect(createTestHost({ plugins: [a(), b()] })).rejects.toThrow(/cycle: "a" -> "b" -> "a"/);
  });

  it('refuses a plugin that says it provides a service and does not, and one that provides what it did not declare', async () => {
    const liar = definePlugin({ name: 'liar', apiVersion: API_VERSION, provides: [counterRef], apply() {} });
    await expect(createTestHost({ plugins: [liar()] })).rejects.toThrow(/plugin "liar" failed in apply: it says it provides "counter\.service" but its apply did not call api\.provide/);
    const sneaky = definePlugin({ name: 'sneaky', apiVersion: API_VERSION, apply(api) { api.provide(echoRef, { echo: (s) => s }); } });
    await expect(createTestHost({ plugins: [sneaky()] })).rejects.toThrow(/api\.provide\("echo\.service"\): the plugin does not list it in "provides"/);
  });
});

/** A plugin that records its lifecycle in `order` and may fail in one step. */
function recorder(name: string, order: string[], fail?: 'beforeStop' | 'afterStop' | 'stop') {
  return definePlugin({
    name,
    apiVersion: API_VERSION,
    apply(api) {
      api.addSource({
        name: 'src',
        start: () => void order.push(`start ${name}`),
        stop: () => {
          order.push(`stop ${name}`);
          if (fail === 'stop') throw new Error(`${name} cannot stop`);
        },
      });
      api.hooks.beforeStop.tapPromise(name, async () => {
        order.push(`beforeStop ${name}`);
        if (fail === 'beforeStop') throw new Error(`${name} beforeStop broke`);
      });
      api.hooks.afterStop.tap(name, () => {
        order.push(`afterStop ${name}`);
        if (fail === 'afterStop') throw new Error(`${name} afterStop broke`);
      });
    },
  })();
}

describe('lifecycle', () => {
  it('stops in reverse order, runs every stop hook and stop even when some throw, and reports them together', async () => {
    const order: string[] = [];
    const t = await createTestHost({ plugins: [recorder('one', order, 'afterStop'), recorder('two', order, 'beforeStop'), recorder('three', order, 'stop')] });
    expect(order).toEqual(['start one', 'start two', 'start three']);
    order.length = 0;
    await t.stop();
    expect(order).toEqual(['beforeStop three', 'beforeStop two', 'beforeStop one', 'stop three', 'stop two', 'stop one', 'afterStop three', 'afterStop two', 'afterStop one']);
    expect(t.host.lastStopProblems).toEqual([
      { plugin: 'two', step: 'hook beforeStop', message: 'two beforeStop broke' },
      { plugin: 'three', step: 'stop of source "src"', message: 'three cannot stop' },
      { plugin: 'one', step: 'hook afterStop', message: 'one afterStop broke' },
    ]);
    const report = t.logs.find((l) => /acgateway stopped, with 3 problem\(s\)/.test(l.msg ?? ''));
    expect(report?.msg).toMatch(/plugin "two", hook beforeStop: two beforeStop broke; plugin "three", stop of source "src": three cannot stop/);
    expect(t.host.state).toBe('stopped');
  });

  it('a start that never finishes times out (per plugin), names plugin and source, and undoes what started', async () => {
    const order: string[] = [];
    const stuck = definePlugin({
      name: 'stuck',
      apiVersion: API_VERSION,
      startTimeoutMs: 150,
      apply(api) {
        api.addSource({ name: 'never', start: () => new Promise(() => {}), stop: () => void order.push('stop stuck') });
      },
    });
    const host = new Host({ config: { server: { port: 0 }, log: { level: 'silent' }, startTimeoutMs: 60_000, plugins: [recorder('first', order), stuck()] } });
    await expect(host.start()).rejects.toThrow(/plugin "stuck" failed in start of source "never": start of source "never" did not finish within 150 ms/);
    expect(order).toEqual(['start first', 'stop stuck', 'stop first']);
    expect(host.state).toBe('failed');
    expect(host.health().plugins.find((p) => p.name === 'stuck')?.state).toBe('failed');
  });
});
