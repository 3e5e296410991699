import { z } from 'zod';

/** The path Server Manager serves race control on; added when a URL names only the host. */
export const RACE_CONTROL_PATH = '/api/race-control';

const serverSchema = z.object({
  /** Topic level and verb argument: `emperor/<name>/...`. */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a server name may hold letters, digits, "_" and "-" only (it becomes a topic level)'),
  /** ws:// or wss:// (http:// and https:// are taken as the same). No default: nothing connects unless named here. Parsed into the URL used. */
  url: z.string().transform((u, ctx) => {
    const url = normaliseUrl(u);
    if (url === null) ctx.addIssue({ code: 'custom', message: 'expected a ws://, wss://, http:// or https:// URL of a Server Manager, e.g. wss://host/api/race-control' });
    return url ?? z.NEVER;
  }),
  /** Origin header. Default: the site's own address (what a browser sends); false sends none. */
  origin: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** Cookie header (a Server Manager session), for managers that are not open for reading. */
  cookie: z.string().optional(),
  /** Team drivers: those whose name carries this tag, e.g. "-YORK". */
  teamTag: z.string().min(1).optional(),
  /** Team drivers: those whose CarInfo.TeamName (v2 servers) is this. */
  teamName: z.string().min(1).optional(),
});

export const optionsSchema = z.object({
  servers: z
    .array(serverSchema)
    .min(1, 'name at least one server: servers: [{ name: "main", url: "wss://<manager host>/api/race-control" }]')
    .refine((list) => new Set(list.map((s) => s.name)).size === list.length, 'server names must be unique'),
  reconnect: z
    .object({
      initialMs: z.number().int().min(0).default(1000),
      maxMs: z.number().int().min(1).default(30_000),
      factor: z.number().min(1).default(2),
      jitter: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  /** Client pings; Server Manager never answers them, so liveness rests on its own 10 s pings. 0 turns them off. */
  pingIntervalMs: z.number().int().min(0).default(10_000),
  /** A connection with nothing received (frames or the server's pings) for this long is dropped and reopened. */
  deadAfterMs: z.number().int().min(100).default(30_000),
  handshakeTimeoutMs: z.number().int().min(100).default(10_000),
  /** Largest frame accepted; a snapshot of a full grid is a few hundred KiB. */
  maxPayloadBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
});

export type EmperorOptions = z.output<typeof optionsSchema>;
export type EmperorServerOptions = z.output<typeof serverSchema>;

/** ws(s) URL with the race-control path filled in when missing; null when it is not a URL we can use. */
export function normaliseUrl(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  const scheme = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[url.protocol];
  if (!scheme || !url.hostname) return null;
  url.protocol = scheme;
  if (url.pathname === '/' || url.pathname === '') url.pathname = RACE_CONTROL_PATH;
  return url.toString();
}

/** What a browser on the manager's own page would send as Origin. */
export function defaultOrigin(wsUrl: string): string {
  const url = new URL(wsUrl);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** The URL without user info, for logs and status. */
export function displayUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.username = '';
  url.password = '';
  return url.toString();
}
