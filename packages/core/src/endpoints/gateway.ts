import type { WebSocket, RawData } from 'ws';
import type { Bus } from '../bus.js';
import { BusFeed } from '../fanout.js';
import { CommandError, errorMessage } from '../errors.js';
import { validatePattern } from '../topics.js';
import type { Caller } from '../commands/registry.js';
import { API_VERSION, CORE_VERSION } from '../version.js';
import { encodeMessage } from './encode.js';
import { CLOSE_TOO_SLOW, WsEndpoint, type EndpointDeps, type WsClientInfo, type WsEndpointOptions } from './ws.js';

import type { Dispatcher } from '../dispatch.js';

export type { Dispatcher };


/** The ws endpoint's options (its name defaults to `gateway`, the path to `/`), and the protocol's own bounds. */
export interface GatewayOptions extends Omit<WsEndpointOptions, 'name' | 'host' | 'onConnection' | 'onStop' | 'status'> {
  name?: string;
  host: string;
  /** Bound of a `queue` subscription, messages. */
  maxQueue?: number;
  /** Commands of one client running at once; more get a BUSY error (default 32). */
  maxPendingCommands?: number;
}

export { CLOSE_TOO_SLOW };

/** Close code for a client whose frame broke its handling (RFC 6455 1011, internal error). */
const CLOSE_INTERNAL = 1011;

/** Longest `id` echoed back, characters. */
const MAX_ID_LENGTH = 256;

/**
 * The built-in gateway websocket: clients subscribe to topic patterns and call commands with JSON
 * text frames (protocol in the README).
 */
export function createGatewayEndpoint(deps: EndpointDeps, bus: Pick<Bus, 'subscribe'>, dispatcher: Dispatcher, options: GatewayOptions): WsEndpoint {
  const clients = new Set<GatewayClient>();
  return new WsEndpoint(deps, {
    name: options.name ?? 'gateway',
    host: options.host,
    port: options.port,
    server: options.server,
    path: options.path ?? '/',
    maxPayload: options.maxPayload,
    perMessageDeflate: options.perMessageDeflate,
    auth: options.auth,
    backpressure: options.backpressure,
    request: options.request,
    onConnection(ws, info) {
      const client = new GatewayClient(ws, info, bus, dispatcher, deps, options.maxQueue ?? 1000, options.maxPendingCommands ?? 32);
      clients.add(client);
      ws.once('close', () => {
        clients.delete(client);
        client.dispose();
      });
    },
    onStop() {
      for (const c of clients) c.dispose();
    },
  });
}

/** One gateway client: the protocol's frames in, its subscriptions and replies out through one BusFeed and PeerLink. */
class GatewayClient {
  private readonly feed: BusFeed;
  private readonly caller: Caller;
  private disposed = false;
  private pendingCommands = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly info: WsClientInfo,
    private readonly bus: Pick<Bus, 'subscribe'>,
    private readonly dispatcher: Dispatcher,
    private readonly deps: EndpointDeps,
    maxQueue: number,
    private readonly maxPendingCommands: number,
  ) {
    this.caller = { endpoint: 'gateway', role: info.role, remote: info.remote, id: info.id };
    this.feed = new BusFeed(info.link, bus, encodeMessage, {
      maxQueue,
      onDropped: (count) => this.sendControl({ op: 'dropped', count, reason: 'client too slow for the queue bound' }),
      onDelivered: (m) => deps.metrics.countDelivered(m, 1),
    });
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(data, isBinary);
      } catch (err) {
        this.failed(err);
      }
    });
    this.sendControl({ op: 'welcome', server: 'acgateway', version: CORE_VERSION, apiVersion: API_VERSION, role: info.role });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.feed.dispose();
  }

  /** A frame's handling threw: that is this client's problem, never the host's. */
  private failed(err: unknown): void {
    this.deps.metrics.badInput.labels('core', 'gateway-internal').inc();
    this.deps.logger.error({ client: this.info.id, remote: this.info.remote, err: errorMessage(err) }, 'handling a gateway frame failed: closing that client');
    this.dispose();
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CLOSE_INTERNAL, 'internal error handling a frame');
  }

  /** Replies count against the client's bound like deliveries (a client that asks and never reads is closed). */
  private sendControl(frame: unknown): void {
    let text: string;
    try {
      text = JSON.stringify(frame);
    } catch (err) {
      // A reply built from what a command returned; client values (ids) are checked before they get here.
      this.deps.logger.error({ client: this.info.id, err: errorMessage(err) }, 'a gateway reply could not be serialized');
      text = JSON.stringify({ op: 'error', error: { message: `the reply could not be serialized: ${errorMessage(err)}`, code: 'INTERNAL' } });
    }
    this.info.link.send(text);
  }

  private error(message: string, code: string, id?: FrameId): void {
    const frame: Record<string, unknown> = id !== undefined ? { id } : { op: 'error' };
    frame.error = { message, code };
    this.sendControl(frame);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.error('binary frames are not part of the protocol: send JSON text', 'BAD_FRAME');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch (err) {
      this.deps.metrics.badInput.labels('core', 'gateway-json').inc();
      return this.error(`malformed JSON: ${errorMessage(err)}`, 'BAD_JSON');
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame)) {
      return this.error('a frame must be a JSON object with an "op"', 'BAD_FRAME');
    }
    const f = frame as Record<string, unknown>;
    const id = frameId(f.id);
    if (id === BAD_ID) {
      this.deps.metrics.badInput.labels('core', 'gateway-id').inc();
      return this.error(`"id" must be a string of at most ${MAX_ID_LENGTH} characters, a finite number or null`, 'BAD_FRAME');
    }
    f.id = id;
    switch (f.op) {
      case 'subscribe':
        return this.subscribe(f);
      case 'unsubscribe':
        return this.unsubscribe(f);
      case 'command':
        return void this.command(f);
      case 'ping':
        return this.sendControl({ op: 'pong', id, ts: Date.now() });
      case 'window':
        return this.setWindow(f);
      case 'ack': {
        const problem = this.info.link.ack(f.count as number);
        if (!problem) return;
        this.deps.metrics.badInput.labels('core', 'gateway-ack').inc();
        return this.error(problem, 'BAD_ACK', id);
      }
      default:
        this.deps.metrics.badInput.labels('core', 'gateway-op').inc();
        return this.error(
          `unknown op ${typeof f.op === 'string' ? JSON.stringify(f.op.slice(0, 64)) : typeof f.op}: expected subscribe, unsubscribe, command, ping, window or ack`,
          'UNKNOWN_OP',
          id,
        );
    }
  }

  private topicsOf(f: Record<string, unknown>): string[] | undefined {
    const topics = f.topics;
    const id = f.id as FrameId;
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string')) {
      this.error('"topics" must be a non-empty array of topic patterns', 'BAD_TOPICS', id);
      return undefined;
    }
    if (topics.length > MAX_TOPICS_PER_FRAME) {
      this.error(`at most ${MAX_TOPICS_PER_FRAME} topic patterns per frame, got ${topics.length}`, 'BAD_TOPICS', id);
      return undefined;
    }
    for (const t of topics as string[]) {
      const problem = t.length > MAX_PATTERN_LENGTH ? `a topic pattern may have at most ${MAX_PATTERN_LENGTH} characters` : validatePattern(t);
      if (problem) {
        this.error(problem.slice(0, 300), 'BAD_TOPICS', id);
        return undefined;
      }
    }
    return topics as string[];
  }

  private subscribe(f: Record<string, unknown>): void {
    const topics = this.topicsOf(f);
    if (!topics) return;
    const policy = f.policy ?? 'latest';
    if (policy !== 'latest' && policy !== 'queue') {
      return this.error(`"policy" must be "latest" or "queue", got ${typeof policy === 'string' ? JSON.stringify(policy.slice(0, 64)) : typeof policy}`, 'BAD_POLICY', f.id as FrameId);
    }
    const held = this.feed.patternCount;
    if (held + topics.length > MAX_PATTERNS_PER_CLIENT) {
      return this.error(`a connection may hold at most ${MAX_PATTERNS_PER_CLIENT} topic patterns (it has ${held}): unsubscribe some, or use wildcards`, 'BAD_TOPICS', f.id as FrameId);
    }
    // Reply first, so the retained messages delivered on subscribe come after the acknowledgement.
    this.sendControl({ op: 'subscribed', topics, policy, ...(f.id !== undefined ? { id: f.id } : {}) });
    this.feed.subscribe(topics, policy);
  }

  /** `{"op":"window","frames":W}`: at most W data frames unacknowledged (`{"op":"ack","count":N}`); 0 turns it off. */
  private setWindow(f: Record<string, unknown>): void {
    const frames = f.frames;
    if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 0 || frames > MAX_WINDOW) {
      return this.error(`"frames" must be an integer from 0 (off) to ${MAX_WINDOW}`, 'BAD_WINDOW', f.id as FrameId);
    }
    this.info.link.setWindow(frames);
    this.sendControl({ op: 'window', frames, ...(f.id !== undefined ? { id: f.id } : {}) });
  }

  private unsubscribe(f: Record<string, unknown>): void {
    const topics = this.topicsOf(f);
    if (!topics) return;
    this.feed.unsubscribe(topics);
    this.sendControl({ op: 'unsubscribed', topics, ...(f.id !== undefined ? { id: f.id } : {}) });
  }

  private async command(f: Record<string, unknown>): Promise<void> {
    const id = (f.id as FrameId) ?? null;
    if (this.pendingCommands >= this.maxPendingCommands) {
      this.deps.metrics.badInput.labels('core', 'gateway-busy').inc();
      return this.error(`${this.pendingCommands} commands of this connection are still running: wait for their replies`, 'BUSY', id);
    }
    let request: string | { verb: string; args?: string[] };
    if (typeof f.line === 'string') {
      request = f.line;
    } else if (typeof f.verb === 'string') {
      const args = f.args;
      if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === 'string' || typeof a === 'number'))) {
        return this.error('"args" must be an array of strings', 'BAD_ARGS', id);
      }
      request = { verb: f.verb, args: (args as Array<string | number> | undefined)?.map(String) };
    } else {
      return this.error('a command needs "line" (a command line) or "verb" and "args"', 'BAD_FRAME', id);
    }
    this.pendingCommands++;
    try {
      const data = await this.dispatcher.dispatch(request, this.caller);
      this.sendControl({ id, data: data === undefined ? null : data });
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError('COMMAND_FAILED', errorMessage(err));
      this.sendControl({ id, error: { message: e.message, code: e.code, ...(e.details !== undefined ? { details: e.details } : {}) } });
    } finally {
      this.pendingCommands--;
    }
  }

}

type FrameId = string | number | null | undefined;
const BAD_ID = Symbol('bad id');
const MAX_TOPICS_PER_FRAME = 256;
const MAX_PATTERNS_PER_CLIENT = 1024;
const MAX_PATTERN_LENGTH = 1024;
/** The largest acknowledgement window a client may ask for, data frames. */
const MAX_WINDOW = 100_000;

/**
 * The `id` a reply echoes: only flat values, so nothing a client sends is serialized back without
 * a bound (a deeply nested id once overflowed the stack in JSON.stringify).
 */
function frameId(id: unknown): FrameId | typeof BAD_ID {
  if (id === undefined || id === null) return id;
  if (typeof id === 'string') return id.length <= MAX_ID_LENGTH ? id : BAD_ID;
  if (typeof id === 'number') return Number.isFinite(id) ? id : BAD_ID;
  return BAD_ID;
}
