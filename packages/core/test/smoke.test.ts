import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { definePlugin, z, API_VERSION } from '@acgateway/core';
import { createTestHost } from '@acgateway/testing';

const hello = definePlugin({
  name: 'hello',
  apiVersion: API_VERSION,
  options: z.object({ greeting: z.string().default('hi') }),
  apply(api, options) {
    let timer: NodeJS.Timeout | undefined;
    api.addSource({
      name: 'ticker',
      start() {
        timer = setInterval(() => api.publish('hello/tick', { greeting: options.greeting }), 10);
      },
      stop() {
        clearInterval(timer);
      },
    });
    api.addCommand({ verb: 'hello say', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ said: args.text }) });
  },
});

describe('smoke', () => {
  it('runs a plugin and serves the gateway', async () => {
    const t = await createTestHost({ plugins: [hello({ greeting: 'yo' })] });
    try {
      const m = await t.waitFor<{ greeting: string }>('hello/#');
      expect(m.data.greeting).toBe('yo');
      expect(await t.dispatch('hello say "a b"  c')).toEqual({ said: 'a b c' });
      const ws = new WebSocket(t.urls.gateway);
      const frames: any[] = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
      await new Promise((r) => ws.on('open', r));
      ws.send(JSON.stringify({ op: 'subscribe', topics: ['hello/+'] }));
      ws.send(JSON.stringify({ op: 'command', id: '7', line: 'help' }));
      await new Promise((r) => setTimeout(r, 200));
      expect(frames.some((f) => f.topic === 'hello/tick')).toBe(true);
      expect(frames.find((f) => f.id === '7').data.map((v: any) => v.verb)).toContain('hello say');
      ws.close();
      const h = await (await fetch(t.urls.health)).json();
      expect(h.status).toBe('ok');
    } finally {
      await t.stop();
    }
  });
});
