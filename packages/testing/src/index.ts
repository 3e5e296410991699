import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import { pino } from 'pino';
import { compilePattern, Host, type Caller, type Clock, type Message, type PluginEntry, type UserConfig } from '@acgateway/core';

export interface TestHostOptions {
  plugins?: PluginEntry[];
  /** Host config; `server.port` defaults to 0 (ephemeral) and the log level to 'debug' (captured, not printed). */
  config?: Omit<UserConfig, 'plugins'>;
  /** Folder package names resolve from. */
  configDir?: string;
  /** By default the test host checks every payload against its topic's declaration (`validateTopics`) and `stop()` throws listing the ones that did not match; true only records them in `host.topicViolations`. */
  allowTopicViolations?: boolean;
  /** Print logs to stderr as well (debugging a test). */
  printLogs?: boolean;
  /** The host's clock (message timestamps, `api.clock`). */
  clock?: Clock;
}

export interface LogRecord {
  level: number;
  msg?: string;
  plugin?: string;
  [key: string]: unknown;
}

export interface TestHost {
  host: Host;
  /** Every message published since start (retained ones included), in order. */
  messages: Message[];
  /** Every log line, parsed. */
  logs: LogRecord[];
  /** Messages on topics matching a pattern. */
  published(pattern: string): Message[];
  /** Waits for a message matching the pattern (and predicate); looks at those already captured first. */
  waitFor<T = unknown>(pattern: string, predicate?: (m: Message<T>) => boolean, timeoutMs?: number): Promise<Message<T>>;
  /** The sum of a metric's series that carry these labels (one series when every label is given; 0 when none). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Runs a command line as an admin caller (or the given one). */
  dispatch(line: string, caller?: Partial<Caller>): Promise<unknown>;
  /** URLs of the built-in gateway websocket, its web page (`server.ui`), /health, /metrics and of every endpoint. */
  urls: { gateway: string; page: string; health: string; metrics: string; endpoints: Record<string, string[]> };
  stop(): Promise<void>;
}

/**
 * Starts a host with the given plugins on ephemeral ports and captures what it publishes and logs.
 * Give plugins' own endpoints `port: 0` too.
 */
export async function createTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          logs.push(JSON.parse(line) as LogRecord);
        } catch {
          logs.push({ level: 30, msg: line });
        }
        if (options.printLogs) process.stderr.write(line + '\n');
      }
      cb();
    },
  });
  const cfg = options.config ?? {};
  const logger = pino({ level: cfg.log?.level ?? 'debug', base: undefined }, sink);
  const host = new Host({
    config: { validateTopics: true, ...cfg, server: { port: 0, ...cfg.server }, plugins: options.plugins ?? [] },
    configDir: options.configDir,
    clock: options.clock,
    logger,
  });
  const messages: Message[] = [];
  const waiters = new Set<{ match: (m: Message) => boolean; resolve: (m: Message) => void }>();
  await host.init();
  host.onMessage('#', (m) => {
    messages.push(m);
    for (const w of waiters) if (w.match(m)) { waiters.delete(w); w.resolve(m); }
  });
  await host.start();
  const urls = host.endpointUrls();
  const gw = urls['core/gateway']?.[0] ?? '';
  const httpBase = gw.replace(/^ws/, 'http').replace(/\/$/, '');
  return {
    host,
    messages,
    logs,
    published: (pattern) => {
      const match = compilePattern(pattern);
      return messages.filter((m) => match(m.topic));
    },
    waitFor: <T>(pattern: string, predicate?: (m: Message<T>) => boolean, timeoutMs = 5000) => {
      const topicMatch = compilePattern(pattern);
      const match = (m: Message) => topicMatch(m.topic) && (!predicate || predicate(m as Message<T>));
      const hit = messages.find(match);
      if (hit) return Promise.resolve(hit as Message<T>);
      return new Promise<Message<T>>((resolve, reject) => {
        const w = { match, resolve: (m: Message) => { clearTimeout(t); resolve(m as Message<T>); } };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no message on ${pattern}${predicate ? ' matching the predicate' : ''} within ${timeoutMs} ms (${messages.length} captured)`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    metric: async (name, labels = {}) => {
      const found = host.metrics.find(name);
      if (!found) throw new Error(`no metric named ${name}`);
      const { values } = await found.metric.get();
      const owner = found.plugin ? { plugin: found.plugin } : {};
      return values
        .filter((v) => Object.entries(labels).every(([k, val]) => String(({ ...owner, ...v.labels } as Record<string, unknown>)[k]) === val))
        .reduce((sum, v) => sum + Number(v.value), 0);
    },
    dispatch: (line, caller) => host.dispatch(line, { endpoint: 'test', role: 'admin', ...caller }),
    urls: { gateway: gw, page: `${httpBase}/`, health: `${httpBase}/health`, metrics: `${httpBase}/metrics`, endpoints: urls },
    stop: async () => {
      await host.stop();
      // A payload that drifted from its declared topic fails the test that published it.
      const v = host.topicViolations;
      if (v.length && !options.allowTopicViolations) {
        throw new Error(`${v.length} payload(s) did not match their topic declarations: ${v.slice(0, 5).map((x) => `${x.topic} (plugin "${x.plugin}", ${x.pattern}): ${x.problems}`).join(' | ')}`);
      }
    },
  };
}

/**
 * A TCP port that was free a moment ago, for what must be told its port before it listens (a
 * config with a fixed port). Prefer port 0 wherever the real port can be read back after listen.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A UDP port that was free a moment ago (see freePort). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` (every 10 ms, real time) until it gives a truthy value, and returns that value;
 * throws naming `what` after `timeoutMs`. For state that no message announces; prefer `waitFor`.
 */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A fresh folder in the OS temp folder; `remove()` deletes it with its content. */
export async function tempDir(prefix = 'acgw-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export { Host };

/**
 * Tries a websocket upgrade with these headers (an `Origin`, a token): 101 when it opened (closed
 * again at once), else the HTTP status and body of the refusal.
 */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => {});
  });
}
