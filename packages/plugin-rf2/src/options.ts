import { z } from '@acgateway/core';

const feedOptions = z.object({
  /** Serve the seed's websocket feed. */
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Messages per second to every client. */
  rateHz: z.number().positive().max(100).default(1),
  /** Which pedal values the feed reports: the game's filtered ones (the seed's choice) or the raw inputs. */
  pedals: z.enum(['filtered', 'unfiltered']).default('filtered'),
  /** Browser pages allowed to connect besides the gateway's own (default: server.allowedOrigins); ['*'] = any. */
  allowedOrigins: z.array(z.string().min(1)).optional(),
});

export const rf2Options = z.object({
  /** Folder holding the buffers as files (Linux bridges); ignored on Windows. */
  dir: z.string().min(1).default('/dev/shm'),
  pollHz: z.number().positive().max(500).default(50),
  /** Suffix of the mapping names: a dedicated server's process id (`$rFactor2SMMP_Telemetry$4242`). */
  mapping: z
    .union([z.string().regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, "_" or "-" only (a process id)'), z.number().int().nonnegative()])
    .transform(String)
    .optional(),
  /** Windows: open `Global\` mappings (dedicated servers with DedicatedServerMapGlobally=1). */
  globalMapping: z.boolean().default(false),
  /** 'auto': named mappings on Windows, files mapped with mmap elsewhere (pread if mmap is unavailable). */
  reader: z.enum(['auto', 'windows', 'mmap', 'read']).default('auto'),
  /** Most rf2/scoring messages per second. */
  scoringHz: z.number().positive().max(100).default(5),
  /** Most rf2/vehicles messages per second. */
  vehiclesHz: z.number().positive().max(500).default(10),
  feed: feedOptions.prefault({}),
});

export type Rf2Options = z.input<typeof rf2Options>;
