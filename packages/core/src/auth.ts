import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isLoopback } from './http/servers.js';

export interface AuthOptions {
  /** Full-control token: every verb. */
  token?: string;
  /** Read-only token: `read` verbs only, no driver IP addresses. */
  readToken?: string;
  /** Ask for a token even on loopback. */
  requireToken?: boolean;
}

export type Role = 'admin' | 'read';

export interface AuthDecision {
  role?: Role;
  /** Why the connection is refused (no role). */
  refused?: string;
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

/**
 * The rule every endpoint that can change a server follows:
 * - bound to loopback with no token asked for: everyone is admin;
 * - a token configured (or required): a connection must present the token (admin) or the read token (read);
 * - bound elsewhere with no token configured: connections are read-only, so nothing can be changed
 *   by whoever reaches the port.
 */
export function decideRole(req: IncomingMessage, auth: AuthOptions, boundHost: string): AuthDecision {
  const presented = tokenOf(req);
  const anyToken = Boolean(auth.token || auth.readToken);
  if (!anyToken) {
    if (auth.requireToken) return { refused: 'a token is required but none is configured on the server' };
    return { role: isLoopback(boundHost) ? 'admin' : 'read' };
  }
  if (presented !== undefined) {
    if (auth.token && same(presented, auth.token)) return { role: 'admin' };
    if (auth.readToken && same(presented, auth.readToken)) return { role: 'read' };
    return { refused: 'invalid token' };
  }
  if (isLoopback(boundHost) && !auth.requireToken) return { role: 'admin' };
  return { refused: 'a token is required (?token=... or Authorization: Bearer ...)' };
}
