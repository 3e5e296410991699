import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint, ComponentStatus } from '../components.js';
import type { SharedHttpServer } from '../http/servers.js';
import type { EndpointDeps } from './ws.js';

export interface HttpRoute {
  path: string;
  prefix?: boolean;
  /** The methods it answers (default GET and HEAD); any other gets 405 with an Allow header. */
  methods?: readonly string[];
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface HttpEndpointOptions {
  name: string;
  host?: string;
  port: number;
  /** Share this HTTP server instead of acquiring one by host:port (e.g. several endpoints on one ephemeral port). */
  server?: SharedHttpServer;
  routes: HttpRoute[];
  status?(): ComponentStatus;
}

const READ_METHODS = ['GET', 'HEAD'];

/** The HTTP endpoint kind: plain request handlers on paths of a shared HTTP server. */
export class HttpEndpoint implements Endpoint {
  readonly kind = 'http';
  readonly name: string;
  private readonly server: SharedHttpServer;
  private unroutes: Array<() => void> = [];
  private started = false;

  constructor(private readonly deps: EndpointDeps, private readonly options: HttpEndpointOptions) {
    this.name = options.name;
    this.server = options.server ?? deps.http.acquire({ host: options.host ?? '127.0.0.1', port: options.port });
  }

  async start(): Promise<void> {
    const owner = `${this.deps.name}/${this.name}`;
    try {
      for (const r of this.options.routes) {
        this.unroutes.push(
          this.server.addRoute({
            path: r.path,
            prefix: r.prefix,
            owner,
            request: (req, res) => {
              const methods = r.methods ?? READ_METHODS;
              if (!methods.includes(req.method ?? 'GET')) {
                res.writeHead(405, { allow: methods.join(', '), 'content-type': 'text/plain; charset=utf-8' });
                res.end(`${req.method} is not allowed on ${r.path}: use ${methods.join(' or ')}\n`);
                return;
              }
              Promise.resolve()
                .then(() => r.handler(req, res))
                .catch((err: unknown) => {
                  this.deps.logger.error({ err, path: r.path }, 'HTTP handler failed');
                  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
                  res.end(JSON.stringify({ error: { message: 'internal error', code: 'INTERNAL' } }));
                });
            },
          }),
        );
      }
      await this.server.open(owner);
    } catch (err) {
      for (const u of this.unroutes) u();
      this.unroutes = [];
      throw err;
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const u of this.unroutes) u();
    this.unroutes = [];
    await this.server.release();
  }

  urls(): string[] {
    return this.options.routes.map((r) => this.server.url('http', r.path));
  }

  status(): ComponentStatus {
    return this.options.status?.() ?? { state: this.started ? 'running' : 'stopped' };
  }
}

export function createHttpEndpoint(deps: EndpointDeps, options: HttpEndpointOptions): HttpEndpoint {
  return new HttpEndpoint(deps, options);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
