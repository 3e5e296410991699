import WebSocket from 'ws';
import { connect, type Gateway, type GatewayError, type WebSocketConstructor } from '@acgateway/client';
import { createTestHost, tempDir, type TestHost } from '@acgateway/testing';
import type { UserConfig } from '@acgateway/core';
import acws, { type AcwsOptionsInput } from '@acgateway/plugin-acws';
import { createSandboxServerRoot, type SandboxOptions, type SandboxServerRoot } from '@acgateway/plugin-acws/fake';

export type Frame = any;

/** A client of the line protocol: every message parsed and kept; wait for one matching a predicate. */
export class LineClient {
  readonly messages: Frame[] = [];
  readonly raw: string[] = [];
  private waiters = new Set<{ from: number; pred: (m: Frame) => boolean; resolve: (m: Frame) => void }>();
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      const m = JSON.parse(text);
      this.messages.push(m);
      const i = this.messages.length - 1;
      for (const w of this.waiters) if (i >= w.from && w.pred(m)) { this.waiters.delete(w); w.resolve(m); }
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async connect(url: string, options: { headers?: Record<string, string>; logon?: string | false } = {}): Promise<LineClient> {
    const ws = new WebSocket(url, { headers: options.headers });
    const c = new LineClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await c.waitFor((m) => /^Welcome/.test(m.data?.msg ?? ''), 0);
    if (options.logon !== false) c.send(options.logon ?? 'logon: {"username": "tester", "password": "", "protocol": "1.0"}');
    return c;
  }

  send(text: string | Buffer): void {
    this.ws.send(text);
  }

  waitFor(pred: (m: Frame) => boolean, from = 0, timeoutMs = 8000): Promise<Frame> {
    for (let i = from; i < this.messages.length; i++) if (pred(this.messages[i])) return Promise.resolve(this.messages[i]);
    return new Promise((resolve, reject) => {
      const w = { from, pred, resolve: (m: Frame) => { clearTimeout(t); resolve(m); } };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(from)).slice(0, 1500)}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Sends a line; resolves with the first message after it that matches (default: the first that is not a server event). */
  cmd(line: string, pred: (m: Frame) => boolean = (m) => !isEvent(m), timeoutMs?: number): Promise<Frame> {
    const from = this.messages.length;
    this.send(line);
    return this.waitFor(pred, from, timeoutMs);
  }

  /** Messages received since index `from`. */
  since(from: number): Frame[] {
    return this.messages.slice(from);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The core gateway websocket through @acgateway/client, as a dashboard would use it: `cmd(line)`
 * resolves with `{data}` or `{error: {code, message}}`; messages of `subscribe` land in `frames`.
 */
export class GatewayClient {
  readonly frames: Frame[] = [];

  private constructor(readonly gw: Gateway) {}

  static async connect(url: string, token?: string): Promise<GatewayClient> {
    const gw = connect(url, { token, WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: false });
    await gw.ready();
    return new GatewayClient(gw);
  }

  cmd(line: string): Promise<Frame> {
    return this.gw.command(line).then(
      (data) => ({ data }),
      (err: GatewayError) => ({ error: { code: err.code, message: err.message } }),
    );
  }

  subscribe(topics: string[]): void {
    this.gw.subscribe(topics, (m) => void this.frames.push(m), { policy: 'queue' });
  }

  close(): void {
    this.gw.close();
  }
}

export interface Rig {
  sandbox: SandboxServerRoot;
  t: TestHost;
  lineUrl: string;
  line(options?: Parameters<typeof LineClient.connect>[1]): Promise<LineClient>;
  gateway(token?: string): Promise<GatewayClient>;
  stop(): Promise<void>;
}

/** A sandbox server folder and a test host running the plugin on it (line endpoint on an ephemeral port). */
export async function startRig(opts: { sandbox?: SandboxOptions; plugin?: Partial<AcwsOptionsInput> & { fakeArgs?: string[] }; host?: Omit<UserConfig, 'plugins'>; prepare?: (s: SandboxServerRoot) => Promise<void> } = {}): Promise<Rig> {
  const tmp = await tempDir('acws-');
  const sandbox = await createSandboxServerRoot(tmp.dir, opts.sandbox);
  await opts.prepare?.(sandbox);
  const plugin = opts.plugin ?? {};
  const options = sandbox.pluginOptions({ ...plugin, acws: { port: 0, ...plugin.acws } });
  let t: TestHost;
  try {
    t = await createTestHost({ plugins: [acws(options)], config: opts.host });
  } catch (err) {
    await tmp.remove();
    throw err;
  }
  const lineUrl = t.urls.endpoints['acws/acws']?.[0] ?? '';
  const clients: Array<{ close(): void }> = [];
  return {
    sandbox,
    t,
    lineUrl,
    async line(o) {
      const c = await LineClient.connect(lineUrl, o);
      clients.push(c);
      return c;
    },
    async gateway(token) {
      const c = await GatewayClient.connect(t.urls.gateway, token);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await t.stop();
      await tmp.remove();
    },
  };
}

export const isMsg = (text: string | RegExp) => (m: Frame) => {
  const msg = m.data?.msg;
  return typeof msg === 'string' && (typeof text === 'string' ? msg === text : text.test(msg));
};
export const isError = (m: Frame) => m.error !== undefined;

/**
 * Messages the server pushes on its own (they can arrive between a command and its reply). A
 * `lobby restart` reply has the lobby event's shape: tests of it say what they wait for.
 */
export function isEvent(m: Frame): boolean {
  const d = m.data;
  if (m.error) return /exited unexpectedly/.test(m.error.msg ?? '');
  return Boolean(d?.server?.event || d?.session?.event || d?.driver || d?.lobby?.event || ['Assetto Corsa server started', 'Assetto Corsa server stopped'].includes(d?.msg));
}
