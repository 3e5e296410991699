import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { isLoopback } from './http/servers.js';

export interface AuthOptions {
  /** Full-control token: every verb. */
  token?: string;
  /** Read-only token: `read` verbs only, no driver IP addresses. */
  readToken?: string;
  /**
   * Browser pages (by `Origin`, e.g. `https://league.example`) allowed to connect besides the
   * gateway's own page; `'*'` allows any page. Non-browser clients send no `Origin` and are unaffected.
   */
  allowedOrigins?: readonly string[];
}

export type Role = 'admin' | 'read';

export interface AuthDecision {
  role?: Role;
  /** Why the connection is refused (no role). */
  refused?: string;
  /** The HTTP status of a refusal: 403 for a foreign page, 401 for a missing or wrong token. */
  status?: 401 | 403;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a client sent: `?token=` in the URL, or `Authorization: Bearer <token>`. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://x');
  return url.searchParams.get('token') ?? undefined;
}

/** `scheme://host[:port]`, lower-case, default port dropped; the input as is when it is no URL (`null`). */
function normalizeOrigin(origin: string): string {
  try {
    const u = new URL(origin);
    return `${u.protocol}//${u.host}`.toLowerCase();
  } catch {
    return origin.trim().toLowerCase();
  }
}

/** A name that cannot be rebound by a DNS server: an address literal or `localhost`. */
function isFixedName(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || isIP(h) !== 0;
}

/**
 * Whether a browser page may open a connection here. No `Origin` (a script, a native client): yes.
 * The gateway's own page (the `Origin` names the host the request was sent to, by address or
 * `localhost`, so a rebound DNS name does not pass): yes. A page listed in `allowedOrigins`: yes.
 * Anything else, whatever the bind address: no. Returns why not, or undefined.
 */
export function originRefusal(req: IncomingMessage, allowedOrigins: readonly string[] = []): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (allowedOrigins.includes('*')) return undefined;
  const normalized = normalizeOrigin(origin);
  if (allowedOrigins.some((a) => normalizeOrigin(a) === normalized)) return undefined;
  const host = req.headers.host?.toLowerCase();
  try {
    const u = new URL(origin);
    if (host && u.host.toLowerCase() === host && isFixedName(u.hostname)) return undefined;
  } catch {
    // `null` (a file:// page, a sandboxed frame) or garbage: only an allowedOrigins entry lets it in.
  }
  return `a page from ${JSON.stringify(origin.slice(0, 200))} may not connect: list it in allowedOrigins to allow it`;
}

/**
 * The rule every endpoint follows (the table in the README):
 * - a browser page that is neither the gateway's own nor listed in `allowedOrigins`: refused (403);
 * - a token configured (`token` and/or `readToken`): a connection must present one, on loopback too
 *   (admin or read; none or a wrong one: 401);
 * - no token configured, bound to loopback: admin (local convenience);
 * - no token configured, bound elsewhere: read-only, so nothing can be changed by whoever reaches the port.
 */
export function decideRole(req: IncomingMessage, auth: AuthOptions, boundHost: string): AuthDecision {
  const foreign = originRefusal(req, auth.allowedOrigins);
  if (foreign) return { refused: foreign, status: 403 };
  const anyToken = Boolean(auth.token || auth.readToken);
  if (!anyToken) return { role: isLoopback(boundHost) ? 'admin' : 'read' };
  const presented = tokenOf(req);
  if (presented === undefined) return { refused: 'a token is required (?token=... or Authorization: Bearer ...)', status: 401 };
  if (auth.token && same(presented, auth.token)) return { role: 'admin' };
  if (auth.readToken && same(presented, auth.readToken)) return { role: 'read' };
  return { refused: 'invalid token', status: 401 };
}

/** `requireToken` is retired: a configured token is always required now. Says what a config that still sets it gets. */
export function retiredRequireToken(where: string, value: boolean | undefined, hasToken: boolean): { error?: string; warning?: string } {
  if (value === undefined) return {};
  if (value && !hasToken) {
    return { error: `${where}.requireToken is retired and, with no token configured, no longer refuses anyone: set ${where}.token (and/or ${where}.readToken), which is then always required, or remove requireToken` };
  }
  return { warning: `${where}.requireToken is retired (a configured token is now always required, on loopback too): remove it from the config` };
}
