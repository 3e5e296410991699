import { DEFAULT_BOUNDS, z } from '@acgateway/core';
import { DEFAULT_LOBBY_BASE } from './wire/lobby-url.js';

/** A value that may differ per OS: a plain value, or `{ win32, linux, darwin, default }` keyed by `process.platform`. */
function perOs<T extends z.ZodType>(inner: T) {
  return z.union([inner, z.object({ win32: inner.optional(), linux: inner.optional(), darwin: inner.optional(), default: inner.optional() }).strict()]);
}

export type PerOs<T> = { win32?: T; linux?: T; darwin?: T; default?: T };

/** The value for this platform: a plain value as is, else the platform's entry or `default`. */
export function onThisOs<T>(value: T | PerOs<T>, isPlain: (v: T | PerOs<T>) => v is T, platform: string = process.platform): T | undefined {
  if (isPlain(value)) return value;
  const v = value as Record<string, T | undefined>;
  return v[platform] ?? v.default;
}

const processOptions = {
  env: z.record(z.string(), z.string()).optional().describe('Extra environment variables'),
  stopTimeoutMs: z.number().int().positive().default(5000).describe('After SIGTERM, wait this long before SIGKILL'),
  startupGraceMs: z.number().int().nonnegative().default(2000).describe('A start succeeds once the process lived this long (or printed its ready line)'),
  autoStart: z.boolean().default(false).describe('Start it when the gateway starts'),
  checkPorts: z.boolean().default(true).describe('Refuse a start when its ports are taken'),
};

export const optionsSchema = z
  .object({
    root: z.string().default('.').describe('The acServer folder (cfg/, results/, logs/); relative to the config file\'s folder'),
    logDir: z.string().default('logs').describe('Output of each run and ini snapshots; relative to root'),
    backupDir: z.string().optional().describe('Where timestamped backups of replaced files go (default: beside each file); relative to root'),
    keepBackups: z.number().int().min(0).default(10).describe('Backups kept per file; older ones are deleted'),
    acws: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8081),
        path: z.string().default('/'),
        token: z.string().min(8).optional().describe('Full-control token (?token= or Authorization: Bearer)'),
        readToken: z.string().min(8).optional().describe('Read-only token'),
        requireToken: z.boolean().optional().describe('Retired: a configured token is always required now'),
        allowedOrigins: z.array(z.string().min(1)).optional().describe("Browser pages allowed to connect besides the gateway's own (default: server.allowedOrigins); '*' = any"),
        maxBufferedBytes: z.number().int().positive().default(DEFAULT_BOUNDS.maxBufferedBytes).describe('Unsent bytes one client may hold before it is closed as too slow'),
        requireLogon: z.boolean().default(true).describe('Commands before a `logon:` line are refused, as in the original'),
        minProtocol: z.string().regex(/^\d+(\.\d+)*$/).default('0.1').describe('Oldest client protocol version accepted at logon'),
        maxLineLength: z.number().int().positive().default(1024).describe('Longest command line, characters'),
        strict: z.boolean().default(false).describe('Answer unknown sub-commands with an error; false answers as the original: no reply for grid, lobby and tracker, "Failed to parse [...]" for server'),
        maxPayload: z.number().int().positive().default(64 * 1024).describe('Largest websocket frame, bytes (bigger closes the connection)'),
        maxPending: z.number().int().positive().default(16).describe('Commands of one connection waiting for their reply'),
      })
      .prefault({}),
    acServer: z
      .object({
        command: perOs(z.string()).default({ win32: 'acServer.exe', default: 'acServer' }),
        args: perOs(z.array(z.string())).default([]),
        ...processOptions,
      })
      .prefault({}),
    stracker: z
      .object({
        enabled: z.boolean().default(true),
        command: perOs(z.string()).default({ win32: 'stracker.exe', default: 'stracker' }),
        args: perOs(z.array(z.string())).default(['--stracker_ini', 'stracker.ini']),
        cwd: z.string().default('stracker').describe('Its working folder, relative to root; stracker.ini is read from here'),
        ...processOptions,
      })
      .prefault({}),
    lobby: z
      .object({
        baseUrl: z.string().url().default(DEFAULT_LOBBY_BASE),
        timeoutMs: z.number().int().positive().default(5000),
        autoReregister: z.boolean().default(true),
      })
      .prefault({}),
  })
  .strict();

export type AcwsOptions = z.output<typeof optionsSchema>;
export type AcwsOptionsInput = z.input<typeof optionsSchema>;
