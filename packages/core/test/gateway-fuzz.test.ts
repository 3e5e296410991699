import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost } from '@acgateway/testing';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { gatewayClient } from './helpers.js';

// 100,000 generated frames at a running host, from admin and read-only clients alike: nested
// values, huge numbers, odd unicode, prototype keys, every op with every wrong type. Afterwards the
// host is alive and answering, and no client was closed for an internal error.

const verbs = definePlugin({
  name: 'f',
  apiVersion: API_VERSION,
  apply(api) {
    api.addCommand({ verb: 'f echo', args: [{ name: 'text', rest: true }], access: 'read', help: 'echo', handler: ({ args }) => ({ echo: args.text }) });
    api.addCommand({ verb: 'f set', args: [{ name: 'n', type: 'int', min: 0, max: 9 }], help: 'changes', handler: ({ args }) => ({ set: args.n }) });
  },
});

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_STRINGS = ['', '#', '+', 'a/#/b', '/', '//', 'x'.repeat(5000), '\u0000', '\u202e evil', '🏁'.repeat(100), '\ud800', '__proto__', 'constructor', 'f set 1', 'help', '"unterminated', "f echo 'a b' \"c\""];
const ODD_NUMBERS = [0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, NaN, Infinity];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * 9);
  if (depth > 6 && k > 5) return null;
  switch (k) {
    case 0: return ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)];
    case 1: return ODD_NUMBERS[Math.floor(r() * ODD_NUMBERS.length)];
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return undefined;
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    case 6: return { __proto__: value(r, depth + 1), constructor: value(r, depth + 1), toString: 1 };
    case 7: return String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(r() * 0xffff)));
    default: return { [ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]!]: value(r, depth + 1) };
  }
}

const OPS = ['subscribe', 'unsubscribe', 'command', 'ping', 'nope', undefined, 1, null, ['ping'], { op: 'ping' }];
const KEYS = ['op', 'id', 'topics', 'policy', 'line', 'verb', 'args', '__proto__', 'constructor'];

function frame(r: () => number): string {
  const shape = r();
  if (shape < 0.05) return `{"op":"ping","id":${'['.repeat(1000 + Math.floor(r() * 6000))}`; // truncated nesting
  if (shape < 0.08) {
    // Complete and deep: JSON.parse takes it, a JSON.stringify of it overflows the stack.
    const n = 4500 + Math.floor(r() * 3000);
    return `{"op":"${r() < 0.5 ? 'ping' : 'command'}","id":${'['.repeat(n)}${']'.repeat(n)},"line":"help"}`;
  }
  if (shape < 0.12) return String.fromCharCode(...Array.from({ length: 40 }, () => Math.floor(r() * 256)));
  if (shape < 0.15) return JSON.stringify(value(r, 0)) ?? 'undefined';
  const f: Record<string, unknown> = { op: OPS[Math.floor(r() * OPS.length)] };
  for (const key of KEYS) if (r() < 0.5) f[key] = value(r, 0);
  if (r() < 0.3) f.line = ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)];
  let text = JSON.stringify(f);
  // JSON.stringify drops a __proto__ key set by assignment; write one in on purpose.
  if (r() < 0.2) text = text.replace('{', '{"__proto__":{"polluted":true},');
  return text;
}

describe('gateway fuzz', () => {
  it('100,000 generated frames from admin and read-only clients: the host stays up and answers', { timeout: 120_000 }, async () => {
    const t = await createTestHost({ plugins: [verbs()], config: { log: { level: 'fatal' }, server: { token: 'full-secret', readToken: 'read-secret', maxPayload: 256 * 1024 } } });
    try {
      const r = rng(13);
      const clients = await Promise.all(['full-secret', 'read-secret', 'full-secret', 'read-secret'].map((tok) => gatewayClient(`${t.urls.gateway}?token=${tok}`)));
      const closes: number[] = [];
      for (const c of clients) c.ws.on('close', (code) => closes.push(code));
      const TOTAL = 100_000;
      for (let i = 0; i < TOTAL; i++) {
        const c = clients[i % clients.length]!;
        if (c.ws.readyState !== WebSocket.OPEN) continue;
        c.ws.send(frame(r));
        // Let replies flow now and then so the clients keep reading (the slow-client rule is tested elsewhere).
        if (i % 2000 === 1999) await new Promise((res) => setTimeout(res, 5));
      }
      for (const c of clients) {
        c.send({ op: 'ping', id: 'after' });
        await c.next((f) => f.op === 'pong' && f.id === 'after', 30_000);
      }
      expect(closes).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const health = await fetch(t.urls.health);
      expect(health.status).toBe(200);
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'core' })).toBeGreaterThan(10_000);
      expect(await t.metric('acgateway_bad_input_total', { plugin: 'core', kind: 'gateway-internal' })).toBe(0);
      const fresh = await gatewayClient(`${t.urls.gateway}?token=full-secret`);
      fresh.send({ op: 'command', id: 1, line: 'f set 3' });
      expect(await fresh.next((f) => f.id === 1)).toMatchObject({ data: { set: 3 } });
      for (const c of [...clients, fresh]) c.close();
    } finally {
      await t.stop();
    }
  });
});
