import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import sirv from 'sirv';
import { decideRole, type AuthOptions } from './auth.js';

/** The web page's static files, shipped in this package (`web/`, beside `src/` and `dist/`). */
export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

/** Where the page's scripts and styles are served from (the page itself is at the gateway's `/`). */
export const WEB_ASSETS_PATH = '/ui/';

/** Marker in index.html replaced per request by what the connection needs: admin, read, token or invalid. */
const ACCESS_MARKER = '%ACGATEWAY_ACCESS%';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Everything comes from the gateway itself: no CDN, no inline script, frames as data: images.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; connect-src 'self'; script-src 'self'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The page's URL may carry ?token=: never send it on.
  'referrer-policy': 'no-referrer',
};

export interface WebUi {
  /** GET / on the gateway's port: the page. */
  page(req: IncomingMessage, res: ServerResponse): void;
  /** GET /ui/*: its scripts, styles and icon. */
  assets(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Serves the built-in live page. The page speaks only the gateway websocket protocol; the one thing
 * the server tells it up front is whether its connection will need a token, decided by the same rule
 * as the websocket (so it can ask for one instead of retrying a refused connection).
 */
export function createWebUi(options: { auth: AuthOptions; boundHost: string; logger: Logger; root?: string }): WebUi {
  const root = options.root ?? WEB_ROOT;
  const indexFile = `${root}/index.html`;
  if (!existsSync(indexFile)) {
    options.logger.warn({ root }, 'the web page files are missing (a broken install?): GET / answers 404');
    const missing = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`the acgateway web page is not installed: ${indexFile} is missing\n`);
    };
    return { page: missing, assets: missing };
  }
  const template = readFileSync(indexFile, 'utf8');
  const files = sirv(root, { etag: true, maxAge: 0, dev: false });
  const page = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('GET the page, or connect a websocket\n');
      return;
    }
    // What the page's own websocket will be asked for; a navigation's Origin is no concern here.
    const decision = decideRole(req, { ...options.auth, allowedOrigins: ['*'] }, options.boundHost);
    const access = decision.role ?? (decision.refused === 'invalid token' ? 'invalid' : 'token');
    res.writeHead(200, PAGE_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : template.replace(ACCESS_MARKER, access));
  };
  return {
    page,
    assets(req, res) {
      // sirv serves paths relative to the folder: /ui/app.js -> /app.js.
      req.url = (req.url ?? '/').slice(WEB_ASSETS_PATH.length - 1);
      const path = req.url.split('?')[0];
      if (path === '') {
        // `/ui` itself: relative to it, ./ is the gateway's page (a proxy prefix survives).
        res.writeHead(302, { location: './', 'content-type': 'text/plain; charset=utf-8' });
        res.end('the page is at ./\n');
        return;
      }
      if (path === '/' || path === '/index.html') {
        // The page lives at the gateway's own path (its websocket and relative URLs depend on it).
        // A relative Location keeps a reverse proxy's path prefix.
        res.writeHead(302, { location: '../', 'content-type': 'text/plain; charset=utf-8' });
        res.end('the page is at ../\n');
        return;
      }
      files(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`no such file in the web page: ${req.url}\n`);
      });
    },
  };
}
