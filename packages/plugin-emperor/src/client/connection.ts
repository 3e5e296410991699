import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '@acgateway/core';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'retrying' | 'stopped';

export interface ConnectionOptions {
  url: string;
  /** Origin header; Server Manager (gorilla/websocket) answers 403 to one that does not match its host. Omitted when undefined. */
  origin?: string;
  /** Cookie header, for managers that are not open for reading. */
  cookie?: string;
  handshakeTimeoutMs: number;
  /** Sends a websocket ping this often (0: never). Server Manager does not answer, but it keeps NAT and proxies awake. */
  pingIntervalMs: number;
  /** Nothing received (frame or ping) for this long: the connection is dropped and opened again. */
  deadAfterMs: number;
  maxPayloadBytes: number;
  reconnect: BackoffOptions;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why the connection failed or closed. */
  reason?: string;
  /** Delay before the next attempt (state 'retrying'). */
  retryInMs?: number;
  /** Failed attempts in a row. */
  attempts: number;
}

export interface ConnectionHandlers {
  onFrame(data: Buffer, isBinary: boolean): void;
  onState(change: StateChange): void;
}

export interface ConnectionStatus {
  state: ConnectionState;
  since: number;
  attempts: number;
  lastError: string | null;
  nextRetryAt: number | null;
  connects: number;
  lastReceivedAt: number | null;
}

/**
 * A websocket client that keeps itself connected: exponential backoff with jitter between attempts,
 * a dead-connection timer fed by every frame and ping, and one state-change callback per transition.
 * The backoff resets only once a frame arrives, so a server that accepts and drops at once is not hammered.
 */
export class ReconnectingSocket {
  private ws: WebSocket | undefined;
  private state: ConnectionState = 'idle';
  private since: number;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private deadTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private gotFrame = false;
  private lastError: string | null = null;
  private nextRetryAt: number | null = null;
  private connects = 0;
  private lastReceivedAt: number | null = null;
  private closed: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  /** `now` stamps the status times (the host's clock, so they agree with the rest of the state); timers run in real time. */
  constructor(private readonly options: ConnectionOptions, private readonly handlers: ConnectionHandlers, private readonly now: () => number = Date.now) {
    this.backoff = new Backoff(options.reconnect);
    this.since = now();
  }

  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped') return;
    this.connect();
  }

  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.nextRetryAt = null;
    const ws = this.ws;
    this.setState('stopped', {});
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
      ws.terminate();
      await this.closed;
    }
    this.clearLiveness();
  }

  status(): ConnectionStatus {
    return {
      state: this.state,
      since: this.since,
      attempts: this.backoff.attempts,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      connects: this.connects,
      lastReceivedAt: this.lastReceivedAt,
    };
  }

  private connect(): void {
    this.failure = undefined;
    this.gotFrame = false;
    this.nextRetryAt = null;
    this.setState('connecting', {});
    const headers: Record<string, string> = {};
    if (this.options.origin) headers.Origin = this.options.origin;
    if (this.options.cookie) headers.Cookie = this.options.cookie;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, {
        headers,
        handshakeTimeout: this.options.handshakeTimeoutMs,
        maxPayload: this.options.maxPayloadBytes,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (err) {
      this.failure = (err as Error).message;
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
      this.failure = describeRefusal(res);
      res.resume();
      // With a listener here ws leaves the request to us; terminate() aborts it and ends in 'close' below.
      ws.terminate();
    });
    ws.on('open', () => {
      this.connects++;
      this.touch();
      this.setState('open', {});
      if (this.options.pingIntervalMs > 0) {
        this.pingTimer = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.ping();
        }, this.options.pingIntervalMs);
        this.pingTimer.unref();
      }
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.touch();
      if (!this.gotFrame) {
        this.gotFrame = true;
        this.backoff.reset();
      }
      this.handlers.onFrame(data, isBinary);
    });
    ws.on('ping', () => this.touch());
    ws.on('pong', () => this.touch());
    ws.on('error', (err: Error) => {
      this.failure ??= describeError(err);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.clearLiveness();
      if (this.ws === ws) this.ws = undefined;
      if (this.state === 'stopped') {
        this.resolveClosed?.();
        return;
      }
      // 1006 means no close frame came: the server or the network went away without a word.
      const how = code === 1006 ? 'code 1006, no close frame' : `code ${code}${reason.length ? `, ${reason.toString()}` : ''}`;
      this.failure ??= `connection closed (${how})`;
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    const delay = this.backoff.next();
    this.lastError = this.failure ?? 'unknown';
    this.nextRetryAt = this.now() + delay;
    this.setState('retrying', { reason: this.lastError, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'retrying') this.connect();
    }, delay);
  }

  private touch(): void {
    this.lastReceivedAt = this.now();
    if (this.deadTimer) {
      this.deadTimer.refresh();
      return;
    }
    this.deadTimer = setTimeout(() => {
      this.deadTimer = undefined;
      const ws = this.ws;
      if (!ws || this.state !== 'open') return;
      this.failure = `dead connection: nothing received for ${this.options.deadAfterMs} ms (not even the server's pings)`;
      ws.terminate();
    }, this.options.deadAfterMs);
  }

  private clearLiveness(): void {
    clearTimeout(this.deadTimer);
    this.deadTimer = undefined;
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private setState(state: ConnectionState, extra: { reason?: string; retryInMs?: number }): void {
    const previous = this.state;
    this.state = state;
    this.since = this.now();
    this.handlers.onState({ state, previous, attempts: this.backoff.attempts, ...extra });
  }
}

function describeRefusal(res: IncomingMessage): string {
  const status = res.statusCode ?? 0;
  const where = res.headers.location ? ` to ${res.headers.location}` : '';
  if (status === 403) return 'handshake refused with HTTP 403: the server rejects the Origin header (set "origin" to the site\'s own address)';
  if (status >= 300 && status < 400) return `handshake answered with HTTP ${status} redirect${where}: the server is not open for reading without a login (give a session "cookie")`;
  if (status === 404) return 'handshake answered with HTTP 404: no race-control endpoint at this path (wrong URL, or the manager runs in performance mode)';
  return `handshake answered with HTTP ${status} ${res.statusMessage ?? ''}`.trim();
}

function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (err.message === 'Opening handshake has timed out') return 'no answer to the websocket handshake (timed out)';
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
