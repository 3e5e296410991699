import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { API_VERSION, coreServices, definePlugin } from '@acgateway/core';
import { clientBacklog, socketIo } from '@acgateway/socketio';
import type { Socket } from 'socket.io';
import { createTestHost, until } from '@acgateway/testing';

describe('socket.io endpoint kind', () => {
  it('serves socket.io on a path of a shared port, over websocket and polling, and counts clients', async () => {
    const p = definePlugin({
      name: 'sio',
      apiVersion: API_VERSION,
      deps: { http: coreServices.http },
      apply(api) {
        const gw = api.deps.http.acquire({ host: '127.0.0.1', port: 0 });
        api.addEndpoint(
          api.endpoints.of(
            socketIo({
              name: 'stream',
              port: 0,
              server: gw,
              onConnection(socket) {
                socket.emit('hello', { n: 1 });
                socket.on('ping', () => socket.emit('pong', { at: 1 }));
              },
            }),
          ),
        );
        api.addEndpoint(api.endpoints.http({ name: 'page', port: 0, server: gw, routes: [{ path: '/', handler: (_q, r) => void r.end('page') }] }));
      },
    });
    const t = await createTestHost({ plugins: [p()] });
    try {
      const url = t.urls.endpoints['sio/stream']![0]!;
      const origin = url.replace(/\/socket\.io\/$/, '');
      for (const transport of ['websocket', 'polling'] as const) {
        const s = connect(origin, { transports: [transport], forceNew: true, reconnection: false });
        const hello = await new Promise((r) => s.once('hello', r));
        expect(hello).toEqual({ n: 1 });
        s.emit('ping');
        expect(await new Promise((r) => s.once('pong', r))).toEqual({ at: 1 });
        const ep = t.host.describe().find((d) => d.name === 'sio')!.endpoints.find((e) => e.name === 'stream')!;
        expect(ep.clients).toBe(1);
        s.close();
      }
      expect(await (await fetch(origin + '/')).text()).toBe('page');
    } finally {
      await t.stop();
    }
  });

  it('tells how much a client that does not read holds, and a stop does not wait for that client', async () => {
    let server: Socket | undefined;
    const p = definePlugin({
      name: 'slow',
      apiVersion: API_VERSION,
      apply(api) {
        api.addEndpoint(api.endpoints.of(socketIo({ name: 'stream', port: 0, onConnection: (socket) => void (server = socket) })));
      },
    });
    const t = await createTestHost({ plugins: [p()] });
    const origin = t.urls.endpoints['slow/stream']![0]!.replace(/\/socket\.io\/$/, '');
    const s = connect(origin, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      await new Promise((r) => s.once('connect', r));
      await until('the server side socket', () => server);
      expect(clientBacklog(server!)).toEqual({ bufferedBytes: 0, queuedBytes: 0 });
      (s.io.engine.transport as unknown as { ws: { _socket: import('node:net').Socket } }).ws._socket.pause();
      const chunk = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 64; i++) server!.emit('frame', chunk);
      const held = await until('a backlog', () => {
        const b = clientBacklog(server!);
        return b.bufferedBytes + b.queuedBytes > 1024 * 1024 && b;
      });
      expect(held.bufferedBytes + held.queuedBytes).toBeLessThanOrEqual(64 * chunk.length + 64 * 64);
    } finally {
      s.close();
      await t.stop();
    }
  });

  it('loads socket.io only when a socket.io endpoint is made: a plugin that imports the kind and makes none never loads socket.io or engine.io', () => {
    // A separate process (this one has socket.io loaded by the tests above), on the built packages.
    const script = `
      import { createRequire } from 'node:module';
      const { Host, API_VERSION, definePlugin } = await import('@acgateway/core');
      const { socketIo } = await import('@acgateway/socketio');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => /node_modules[\\/](socket\\.io|engine\\.io)[\\/]/.test(f)).length;
      let api;
      const p = definePlugin({ name: 'p', apiVersion: API_VERSION, apply: (a) => void (api = a) });
      const host = new Host({ config: { server: { port: 0 }, log: { level: 'silent' }, plugins: [p()] } });
      await host.start();
      const before = loaded();
      api.endpoints.of(socketIo({ name: 'late', port: 0 }));
      console.log(JSON.stringify({ before, after: loaded() }));
      await host.stop();
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    const { before, after } = JSON.parse(out.trim().split('\n').pop()!) as { before: number; after: number };
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
  });
});
