import { z } from 'zod';
import type { PluginFactory, PluginInstance } from '../plugin.js';
import { DEFAULT_BOUNDS } from '../fanout.js';
import { ConfigError } from '../errors.js';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const serverSchema = z
  .object({
    /** Where the built-in gateway websocket, /health and /metrics listen. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8090),
    /** Set false to run no built-in endpoint. */
    enabled: z.boolean().default(true),
    /** Full-control token. When `token` or `readToken` is set, every connection must present one, on loopback too. */
    token: z.string().min(1).optional(),
    /** Read-only token. */
    readToken: z.string().min(1).optional(),
    /** Retired: a configured token is always required now (a config that still sets it is told so). */
    requireToken: z.boolean().optional(),
    /** Browser pages (origins such as `https://league.example`) allowed to connect besides the gateway's own page; `'*'` = any. */
    allowedOrigins: z.array(z.string().min(1)).default([]),
    /** Largest client frame, bytes. */
    maxPayload: z.number().int().positive().default(64 * 1024),
    /** Off by default: ten times the CPU on small telemetry. */
    perMessageDeflate: z.boolean().default(false),
    backpressure: z
      .object({
        highWaterBytes: z.number().int().positive().default(DEFAULT_BOUNDS.highWaterBytes),
        maxBufferedBytes: z.number().int().positive().default(DEFAULT_BOUNDS.maxBufferedBytes),
        stallMs: z.number().int().positive().default(DEFAULT_BOUNDS.stallMs),
      })
      .prefault({}),
    /** Bound of a client's `queue` subscription, messages. */
    maxQueue: z.number().int().positive().default(1000),
    /** Serve the live web page at `/` (and its files at `/ui/`). */
    ui: z.boolean().default(true),
    /**
     * Files served on the gateway's port, URL path -> file (relative to the config's folder), e.g.
     * `{ '/overlay': 'overlay.html' }`: a page served here is the gateway's own origin, so its
     * scripts may open the gateway websocket (and import `/sdk/client.js`) without `allowedOrigins`.
     */
    pages: z
      .record(z.string().regex(/^\/[\w.-]+(\/[\w.-]+)*$/, 'a path like /overlay or /dash/index.html'), z.string().min(1))
      .refine((p) => !Object.keys(p).some((k) => ['/health', '/metrics'].includes(k) || k.startsWith('/ui/') || k.startsWith('/sdk/')), 'a page may not take /health, /metrics, /ui/ or /sdk/')
      .default({}),
    /** How often `core/status` (plugins, endpoints, topic rates) is published, ms; 0 = never. */
    statusIntervalMs: z.number().int().min(0).default(1000),
  })
  .strict()
  .prefault({});

export const hostSchema = z
  .object({
    /** A JSON config's `$schema` (editors read it; the host ignores it). */
    $schema: z.string().optional(),
    plugins: z.array(z.unknown()).default([]),
    server: serverSchema,
    log: z
      .object({ level: logLevel.default('info'), pretty: z.boolean().optional() })
      .strict()
      .prefault({}),
    shutdownTimeoutMs: z.number().int().positive().default(10_000),
    /** Check every published payload against its plugin's topic declarations (logged and counted; the test kit fails on them). */
    validateTopics: z.boolean().default(false),
    /** How long one source or endpoint may take to start (a plugin may set its own `startTimeoutMs`). */
    startTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

/** A plugin as listed in the config: a factory call, a package name, or [packageName, options]. */
export type PluginEntry = PluginInstance | PluginFactory | string | readonly [string, Record<string, unknown>?];

export type ServerConfig = z.output<typeof serverSchema>;

/** The config a user writes (`acgateway.config.ts`). */
export interface UserConfig extends Omit<z.input<typeof hostSchema>, 'plugins'> {
  plugins?: PluginEntry[];
}

/** The config after validation and defaults. */
export interface ResolvedConfig extends Omit<z.output<typeof hostSchema>, 'plugins'> {
  plugins: PluginEntry[];
}

/** Gives a config file its types; returns its argument. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

/** Formats zod issues as `path.to.key: what was expected` lines. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

/** Validates host options and applies defaults. Plugin options are validated later, per plugin. */
export function resolveConfig(config: UserConfig, source = 'config'): ResolvedConfig {
  const parsed = hostSchema.safeParse(config);
  if (!parsed.success) throw new ConfigError(`invalid ${source}: ${formatIssues(parsed.error)}`);
  return parsed.data as ResolvedConfig;
}
