import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { usage, type RegisteredCommand } from './commands/registry.js';
import { createGatewayEndpoint } from './endpoints/gateway.js';
import { sendJson } from './endpoints/http.js';
import { CommandError } from './errors.js';
import { isLoopback } from './http/servers.js';
import type { Metrics } from './metrics.js';
import { definePlugin, type PluginInstance } from './plugin.js';
import { coreServices } from './services.js';
import { coreStatusTopic } from './status.js';
import { API_VERSION, CORE_VERSION } from './version.js';
import { createWebUi, WEB_ASSETS_PATH } from './web.js';

/** What the built-in plugin reads of its host. */
export interface CoreView {
  health(): { status: string };
  verbs(): RegisteredCommand[];
  /** The host's metrics: every client gauge and delivery count, and /metrics. */
  metrics: Metrics;
}

export const CORE_PLUGIN = 'core';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** A file as an HTTP route: read at each request (an edited page shows on reload), 404 naming it when absent. */
function fileRoute(file: (() => string) | string) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    let name: string;
    let body: Buffer;
    try {
      name = typeof file === 'string' ? file : file();
      body = await readFile(name);
    } catch (err) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(`not found: ${(err as Error).message}\n`);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(body);
  };
}

/** The browser build of @acgateway/client (its ESM dist), for `<script type="module">` pages. */
const sdkFile = () => {
  try {
    return createRequire(import.meta.url).resolve('@acgateway/client');
  } catch {
    throw new Error('@acgateway/client is not installed beside @acgateway/core (or not built: npm run build)');
  }
};

/**
 * The core's own endpoints (the gateway websocket, the live page, `/health`, `/metrics`) and the
 * `help` verb, as a plugin built on the same API as every other. Applied first, so its endpoints
 * start first.
 */
export function corePlugin(host: CoreView): PluginInstance {
  return definePlugin({
    name: CORE_PLUGIN,
    apiVersion: API_VERSION,
    version: CORE_VERSION,
    description: 'the gateway websocket, the live page, /health, /metrics and help',
    topics: [coreStatusTopic],
    deps: { config: coreServices.config, http: coreServices.http, bus: coreServices.bus, dispatcher: coreServices.dispatcher },
    apply(api) {
      const { config, http, bus, dispatcher } = api.deps;
      api.addCommand({
        verb: 'help',
        args: [{ name: 'verb', rest: true, optional: true }],
        access: 'read',
        help: 'Lists every verb with its plugin, or details of the verbs starting with the given words',
        handler: ({ args }) => {
          const filter = (args.verb as string | undefined)?.toLowerCase();
          const list = host.verbs().filter((c) => !filter || c.verb.startsWith(filter));
          if (filter && list.length === 0) throw new CommandError('UNKNOWN_VERB', `no verb starts with "${filter}"; "help" lists every verb`);
          return list.map((c) => ({ verb: c.verb, usage: usage(c), help: c.help, plugin: c.plugin, access: c.access }));
        },
      });
      const s = config.server;
      if (!s.enabled) return;
      if (!isLoopback(s.host) && !s.token) {
        api.logger.warn(`the gateway listens on ${s.host} without server.token: its clients are read-only; set server.token to allow commands that change things`);
      }
      const shared = http.acquire({ host: s.host, port: s.port });
      const auth = { token: s.token, readToken: s.readToken, allowedOrigins: s.allowedOrigins };
      const deps = { name: CORE_PLUGIN, http, metrics: host.metrics, logger: api.logger, allowedOrigins: s.allowedOrigins };
      const web = s.ui ? createWebUi({ auth, boundHost: s.host, logger: api.logger }) : undefined;
      api.addEndpoint(
        createGatewayEndpoint(deps, bus, dispatcher, {
          host: s.host,
          port: s.port,
          server: shared,
          maxPayload: s.maxPayload,
          perMessageDeflate: s.perMessageDeflate,
          auth,
          backpressure: s.backpressure,
          maxQueue: s.maxQueue,
          request: web?.page,
        }),
      );
      if (web) {
        api.addEndpoint(api.endpoints.http({ name: 'ui', port: s.port, server: shared, routes: [{ path: WEB_ASSETS_PATH, prefix: true, handler: web.assets }] }));
      }
      api.addEndpoint(
        api.endpoints.http({
          name: 'http',
          port: s.port,
          server: shared,
          routes: [
            {
              path: '/health',
              handler: (_req, res) => {
                const h = host.health();
                sendJson(res, h.status === 'ok' ? 200 : 503, h);
              },
            },
            { path: '/sdk/client.js', handler: fileRoute(sdkFile) },
            ...Object.entries(s.pages).map(([p, file]) => ({ path: p, handler: fileRoute(path.resolve(api.configDir, file)) })),
            {
              path: '/metrics',
              handler: async (_req, res) => {
                const text = await host.metrics.exposition();
                res.writeHead(200, { 'content-type': host.metrics.registry.contentType });
                res.end(text);
              },
            },
          ],
        }),
      );
    },
  })();
}
