import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { API_VERSION, CommandError, ConfigError, coreServices, definePlugin, Host, PluginError, Refusals, z, type Endpoint, type EndpointDeps, type EndpointKind } from '@acgateway/core';
import { createTestHost, freePort } from '@acgateway/testing';
import { pino } from 'pino';

const silent = pino({ level: 'silent' });

function recorder(name: string, log: string[], failOn?: string) {
  return definePlugin({
    name,
    apiVersion: API_VERSION,
    apply(api) {
      api.addSource({
        name: 'src',
        start: () => {
          if (failOn === 'source') throw new Error('no server here');
          log.push(`start ${name}/src`);
        },
        stop: () => void log.push(`stop ${name}/src`),
      });
      const ep: Endpoint = {
        name: 'ep',
        kind: 'test',
        start: () => {
          if (failOn === 'endpoint') throw new Error('cannot bind');
          log.push(`start ${name}/ep`);
        },
        stop: () => void log.push(`stop ${name}/ep`),
        urls: () => [],
      };
      api.addEndpoint(ep);
    },
  });
}

describe('plugin contract', () => {
  it('validates and defaults options before apply; errors name plugin, key path and expected type', async () => {
    let seen: unknown;
    const p = definePlugin({
      name: 'opts',
      apiVersion: API_VERSION,
      options: z.object({ port: z.number().int().default(12000), nested: z.object({ rate: z.number().default(1) }).prefault({}) }),
      apply(_api, o) {
        seen = o;
      },
    });
    const h = new Host({ config: { plugins: [p({ nested: {} } as never)], server: { enabled: false } }, logger: silent });
    await h.init();
    expect(seen).toEqual({ port: 12000, nested: { rate: 1 } });

    const bad = new Host({ config: { plugins: [p({ nested: { rate: 'fast' } } as never)], server: { enabled: false } }, logger: silent });
    await expect(bad.init()).rejects.toThrow(/plugin "opts": invalid options: opts\.nested\.rate: .*expected number, received string/);
  });

  it('refuses a plugin built for another API version, naming both versions', async () => {
    const p = definePlugin({ name: 'future', apiVersion: API_VERSION + 1, apply() {} });
    const h = new Host({ config: { plugins: [p()] }, logger: silent });
    const err = await h.init().catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(new RegExp(`built for core API version ${API_VERSION + 1}.*provides API version ${API_VERSION}`));
  });

  it('refuses two plugins with one name', async () => {
    const log: string[] = [];
    const h = new Host({ config: { plugins: [recorder('same', log)(), recorder('same', log)()] }, logger: silent });
    await expect(h.init()).rejects.toThrow(/two plugins are named "same"/);
  });

  it('names the plugin when apply throws', async () => {
    const p = definePlugin({ name: 'broken', apiVersion: API_VERSION, apply() { throw new Error('kaput'); } });
    const h = new Host({ config: { plugins: [p()] }, logger: silent });
    const err = await h.init().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toBe('plugin "broken" failed in apply: kaput');
  });

  it('gives each plugin exactly the services it declares, the scoped ones its own', async () => {
    const { coreServices } = await import('@acgateway/core');
    let resolved: Record<string, unknown> = {};
    const p = definePlugin({
      name: 'di',
      apiVersion: API_VERSION,
      options: z.object({ a: z.number().default(1) }),
      deps: { bus: coreServices.bus, hooks: coreServices.hooks, logger: coreServices.logger, metrics: coreServices.metrics, commands: coreServices.commands, clock: coreServices.clock },
      apply(api) {
        const { bus, hooks, logger, metrics, commands, clock } = api.deps;
        metrics.counter('di_things_total', 'things').inc(3);
        resolved = {
          keys: Object.keys(api.deps).sort(),
          sameAsApi: hooks === api.hooks && logger === api.logger && metrics === api.metrics,
          configDir: api.configDir,
          // The views cannot call a hook or register a verb, and what the plugin publishes carries its name.
          canCall: 'call' in hooks.beforeStart || 'promise' in hooks.beforeStart,
          canRegister: 'register' in commands,
          publisher: bus.publish('di/x', 1)?.publisher,
          clock: clock.now(),
          members: ['bus', 'http', 'config', 'dispatcher', 'container', 'clock'].filter((k) => k in api),
        };
      },
    });
    const h = new Host({ config: { plugins: [p({ a: 5 })] }, configDir: '/srv/league', logger: silent, clock: { now: () => 42 } });
    await h.init();
    expect(resolved).toEqual({
      keys: ['bus', 'clock', 'commands', 'hooks', 'logger', 'metrics'], sameAsApi: true, configDir: '/srv/league', canCall: false, canRegister: false, publisher: 'di', clock: 42, members: [],
    });
    // Its series carry its name, among the core's.
    expect(await h.metrics.exposition()).toMatch(/^di_things_total\{plugin="di"\} 3$/m);
  });

  it('refuses a metric name another plugin or the core already has', async () => {
    const mk = (name: string, metric: string) => definePlugin({ name, apiVersion: API_VERSION, apply(api) { api.metrics.counter(metric, 'x'); } });
    const h = new Host({ config: { plugins: [mk('one', 'shared_total')(), mk('two', 'shared_total')()] }, logger: silent });
    await expect(h.init()).rejects.toThrow(/plugin "two" failed in apply: metric "shared_total" is already registered by plugin "one"/);
    const c = new Host({ config: { plugins: [mk('three', 'acgateway_clients')()] }, logger: silent });
    await expect(c.init()).rejects.toThrow(/metric "acgateway_clients" is one of the core's/);
  });
});

describe('lifecycle', () => {
  it('starts sources before endpoints and stops in reverse', async () => {
    const log: string[] = [];
    const h = new Host({ config: { plugins: [recorder('a', log)(), recorder('b', log)()], server: { enabled: false } }, logger: silent });
    await h.start();
    await h.stop();
    expect(log).toEqual([
      'start a/src', 'start b/src', 'start a/ep', 'start b/ep',
      'stop b/ep', 'stop a/ep', 'stop b/src', 'stop a/src',
    ]);
  });

  it('rolls back what started when a start fails midway, naming the plugin', async () => {
    const log: string[] = [];
    const h = new Host({ config: { plugins: [recorder('a', log)(), recorder('b', log, 'endpoint')()], server: { enabled: false } }, logger: silent });
    const err = await h.start().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toBe('plugin "b" failed in start of endpoint "ep": cannot bind');
    expect(log).toEqual(['start a/src', 'start b/src', 'start a/ep', 'stop a/ep', 'stop b/src', 'stop a/src']);
    expect(h.state).toBe('failed');
    expect(h.describe().find((p) => p.name === 'b')!.state).toBe('failed');
  });

  it('re-throws an error in a hook tap naming the plugin and the hook', async () => {
    const p = definePlugin({
      name: 'tapper',
      apiVersion: API_VERSION,
      apply(api) {
        api.hooks.beforeStart.tapPromise('whatever', async () => {
          throw new Error('not ready');
        });
      },
    });
    const h = new Host({ config: { plugins: [p()], server: { enabled: false } }, logger: silent });
    await expect(h.start()).rejects.toThrow('plugin "tapper" failed in hook beforeStart: not ready');
  });

  it('reports each plugin state on /health', async () => {
    const log: string[] = [];
    const t = await createTestHost({ plugins: [recorder('a', log)()] });
    const res = await fetch(t.urls.health);
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.plugins.map((p: any) => [p.name, p.state])).toEqual([['core', 'running'], ['a', 'running']]);
    await t.stop();
    expect(t.host.describe().find((p) => p.name === 'a')!.state).toBe('stopped');
  });
});

describe('data-path hooks', () => {
  it('publish waterfall transforms and drops; command bail hook refuses or answers', async () => {
    const audit: string[] = [];
    const guard = definePlugin({
      name: 'guard',
      apiVersion: API_VERSION,
      apply(api) {
        api.hooks.publish.tap(api.name, (m) => (m && m.topic === 'x/secret' ? null : m && m.topic === 'x/wrap' ? { ...m, data: { wrapped: m.data } } : m));
        api.hooks.command.tapPromise(api.name, async (call) => {
          audit.push(`${call.caller.endpoint}:${call.verb}`);
          if (call.verb === 'x danger') throw new CommandError('FORBIDDEN', 'not today');
          if (call.verb === 'x cached') return { cached: true };
          return undefined;
        });
        api.addCommand({ verb: 'x danger', help: '', handler: () => 'ran' });
        api.addCommand({ verb: 'x cached', help: '', handler: () => 'ran' });
        api.addCommand({ verb: 'x plain', help: '', handler: () => 'ran' });
      },
    });
    const t = await createTestHost({ plugins: [guard()] });
    try {
      t.host.bus.publish('x/secret', 1);
      t.host.bus.publish('x/wrap', 2);
      expect(t.published('x/#').map((m) => [m.topic, m.data])).toEqual([['x/wrap', { wrapped: 2 }]]);
      await expect(t.dispatch('x danger')).rejects.toThrow('not today');
      expect(await t.dispatch('x cached')).toEqual({ cached: true });
      expect(await t.dispatch('x plain')).toBe('ran');
      expect(audit).toEqual(['test:x danger', 'test:x cached', 'test:x plain']);
    } finally {
      await t.stop();
    }
  });

  it('refuses write verbs to read-only callers; help lists every verb with its plugin', async () => {
    const p = definePlugin({
      name: 'rw',
      apiVersion: API_VERSION,
      apply(api) {
        api.addCommand({ verb: 'rw set', help: 'changes', handler: () => 'set' });
        api.addCommand({ verb: 'rw get', help: 'looks', access: 'read', handler: () => 'got' });
      },
    });
    const t = await createTestHost({ plugins: [p()] });
    try {
      await expect(t.dispatch('rw set', { role: 'read', user: 'marshal' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(t.logs.find((l) => l.msg === 'command refused or failed')).toMatchObject({ verb: 'rw set', code: 'FORBIDDEN', caller: { role: 'read', user: 'marshal' } });
      await t.dispatch('rw set');
      expect(t.logs.find((l) => l.msg === 'command run')).toMatchObject({ verb: 'rw set', caller: { endpoint: 'test', role: 'admin' } });
      expect(await t.dispatch('rw get', { role: 'read' })).toBe('got');
      const help = (await t.dispatch('help')) as Array<{ verb: string; plugin: string; usage: string }>;
      expect(help.map((h) => `${h.plugin}:${h.verb}`)).toEqual(['core:help', 'rw:rw get', 'rw:rw set']);
      expect(await t.dispatch('help rw get')).toEqual([{ verb: 'rw get', usage: 'rw get', help: 'looks', plugin: 'rw', access: 'read' }]);
    } finally {
      await t.stop();
    }
  });
});

describe('endpoints and ports', () => {
  it('refuses two endpoints on one path of one port, naming both', async () => {
    const p = definePlugin({
      name: 'twin',
      apiVersion: API_VERSION,
      deps: { http: coreServices.http },
      apply(api) {
        const server = api.deps.http.acquire({ host: '127.0.0.1', port: 0 });
        api.addEndpoint(api.endpoints.ws({ name: 'one', port: 0, server, path: '/feed', onConnection: () => {} }));
        api.addEndpoint(api.endpoints.ws({ name: 'two', port: 0, server, path: '/feed', onConnection: () => {} }));
      },
    });
    const h = new Host({ config: { plugins: [p()], server: { port: 0 } }, logger: silent });
    await expect(h.start()).rejects.toThrow(/path \/feed on 127\.0\.0\.1:0 is wanted by twin\/two but already served by twin\/one/);
    expect(h.state).toBe('failed');
  });

  it('builds an endpoint kind from another package with the calling plugin\'s deps (api.endpoints.of)', async () => {
    // A kind as a package outside the core writes one: a plain-text HTTP endpoint that refuses foreign origins.
    let seen: EndpointDeps | undefined;
    const textKind = (o: { name: string; port: number }): EndpointKind<Endpoint> => (deps) => {
      seen = deps;
      const server = deps.http.acquire({ host: '127.0.0.1', port: o.port });
      const refusals = new Refusals(deps, `${deps.name}/${o.name}`);
      let unserve: (() => Promise<void>) | undefined;
      return {
        name: o.name,
        kind: 'text',
        async start() {
          unserve = await server.serve({
            path: '/text',
            owner: `${deps.name}/${o.name}`,
            request: (req, res) => {
              const origin = req.headers.origin;
              if (origin && !deps.allowedOrigins?.includes(origin)) {
                refusals.report(req, 403, `origin ${origin} is not allowed`);
                return void res.writeHead(403).end();
              }
              res.end(`from ${deps.name}`);
            },
          });
        },
        stop: () => unserve?.(),
        urls: () => [server.url('http', '/text')],
      };
    };
    const p = definePlugin({
      name: 'kinds',
      apiVersion: API_VERSION,
      apply(api) {
        api.addEndpoint(api.endpoints.of(textKind({ name: 'plain', port: 0 })));
      },
    });
    const t = await createTestHost({ plugins: [p()], config: { server: { allowedOrigins: ['http://dash.test'] } } });
    try {
      expect(seen?.name).toBe('kinds');
      expect(seen?.allowedOrigins).toEqual(['http://dash.test']);
      const url = t.urls.endpoints['kinds/plain']![0]!;
      expect(await (await fetch(url, { headers: { origin: 'http://dash.test' } })).text()).toBe('from kinds');
      expect((await fetch(url, { headers: { origin: 'http://evil.test' } })).status).toBe(403);
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'kinds', kind: 'foreign_origin' })).toBe(1);
      expect(t.host.describe().find((d) => d.name === 'kinds')!.endpoints).toEqual([expect.objectContaining({ name: 'plain', kind: 'text', urls: [url] })]);
    } finally {
      await t.stop();
    }
  });

  it('shares one port between the gateway and a plugin endpoint on another path', async () => {
    const port = await freePort();
    const p = definePlugin({
      name: 'multi',
      apiVersion: API_VERSION,
      apply(api) {
        api.addEndpoint(api.endpoints.http({ name: 'hello', port, routes: [{ path: '/hello', handler: (_q, r) => void r.end('hi') }] }));
      },
    });
    const t = await createTestHost({ plugins: [p()], config: { server: { port } } });
    try {
      const url = t.urls.endpoints['multi/hello']![0]!;
      expect(url).toBe(`http://127.0.0.1:${port}/hello`);
      expect(await (await fetch(url)).text()).toBe('hi');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      const missing = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(missing.status).toBe(404);
    } finally {
      await t.stop();
    }
    // the last user released the port: it can be bound again
    const again = net.createServer();
    await new Promise<void>((r, j) => { again.once('error', j); again.listen(port, '127.0.0.1', () => r()); });
    again.close();
  });

  it('fails clearly when a port is already in use, and rolls back', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const log: string[] = [];
    const h = new Host({ config: { plugins: [recorder('a', log)()], server: { port } }, logger: silent });
    try {
      await expect(h.start()).rejects.toThrow(new RegExp(`plugin "core" failed in start of endpoint "gateway": port ${port} on 127.0.0.1 is already in use`));
      // core's endpoints start first among endpoints, so only the source had started
      expect(log).toEqual(['start a/src', 'stop a/src']);
    } finally {
      blocker.close();
    }
  });

  it('serves Prometheus metrics: published, delivered, commands', async () => {
    const t = await createTestHost({});
    try {
      t.host.bus.publish('m/x', 1);
      await t.dispatch('help');
      await t.dispatch('nope').catch(() => {});
      const text = await (await fetch(t.urls.metrics)).text();
      expect(text).toMatch(/acgateway_messages_published_total\{topic="m\/x"\} 1/);
      expect(text).toMatch(/acgateway_command_calls_total\{verb="help"\} 1/);
      expect(text).toMatch(/acgateway_command_errors_total\{verb="\(unparsed\)",code="UNKNOWN_VERB"\} 1/);
      expect(text).toMatch(/acgateway_clients\b/);
    } finally {
      await t.stop();
    }
  });
});


describe('test kit', () => {
  it('until returns the first truthy value and names what timed out; tempDir removes its folder', async () => {
    const { until, tempDir } = await import('@acgateway/testing');
    const { existsSync, writeFileSync } = await import('node:fs');
    let n = 0;
    expect(await until('three polls', () => (++n >= 3 ? n : 0))).toBe(3);
    await expect(until('never', () => false, 50)).rejects.toThrow('timed out after 50 ms waiting for never');
    const t = await tempDir('kit-');
    writeFileSync(`${t.dir}/x`, 'y');
    await t.remove();
    expect(existsSync(t.dir)).toBe(false);
  });

  it('reads metrics summed over the given labels, and runs on the given clock', async () => {
    const p = definePlugin({
      name: 'bad',
      apiVersion: API_VERSION,
      deps: { clock: coreServices.clock },
      apply(api) {
        api.addCommand({ verb: 'bad in', args: [{ name: 'kind' }], access: 'read', help: '', handler: ({ args }) => { api.countBadInput(String(args.kind)); return api.deps.clock.now(); } });
      },
    });
    const t = await createTestHost({ plugins: [p()], clock: { now: () => 1234 } });
    try {
      expect(await t.dispatch('bad in garbage')).toBe(1234); // the test host's clock
      await t.dispatch('bad in garbage');
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'bad', kind: 'garbage' })).toBe(2);
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'bad', kind: 'other' })).toBe(0);
      await t.dispatch('bad in other');
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'bad' })).toBe(3); // summed over kinds
      t.host.bus.publish('bad/x', 1);
      expect(t.published('bad/x')[0]!.ts).toBe(1234);
      await expect(t.metric('nope_total')).rejects.toThrow(/no metric named nope_total/);
    } finally {
      await t.stop();
    }
  });

});
