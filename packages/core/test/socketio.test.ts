import { describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { API_VERSION, clientBacklog, coreServices, definePlugin } from '@acgateway/core';
import type { Socket } from 'socket.io';
import { createTestHost, until } from '@acgateway/core/testing';

describe('socket.io endpoint kind', () => {
  it('serves socket.io on a path of a shared port, over websocket and polling, and counts clients', async () => {
    const p = definePlugin({
      name: 'sio',
      apiVersion: API_VERSION,
      deps: { http: coreServices.http },
      apply(api) {
        const gw = api.deps.http.acquire({ host: '127.0.0.1', port: 0 });
        api.addEndpoint(
          api.endpoints.socketIo({
            name: 'stream',
            port: 0,
            server: gw,
            onConnection(socket) {
              socket.emit('hello', { n: 1 });
              socket.on('ping', () => socket.emit('pong', { at: 1 }));
            },
          }),
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
        api.addEndpoint(api.endpoints.socketIo({ name: 'stream', port: 0, onConnection: (socket) => void (server = socket) }));
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
});
