import { describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { createTestHost } from '@acgateway/core/testing';

describe('socket.io endpoint kind', () => {
  it('serves socket.io on a path of a shared port, over websocket and polling, and counts clients', async () => {
    const p = definePlugin({
      name: 'sio',
      apiVersion: API_VERSION,
      apply(api) {
        const gw = api.http.acquire({ host: '127.0.0.1', port: 0 });
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
});
