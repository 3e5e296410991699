import { createRequire } from 'node:module';
import path from 'node:path';
import { API_VERSION, CommandError, createServiceRef, definePlugin, z } from '@acgateway/core';
import { createFeedEndpoint } from './feed.js';
import { createOpener } from './readers/index.js';
import { Rf2Source } from './source.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

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

/** The plugin's shared-memory source, for other plugins (`currentPlayer()`, `currentStatus()`, its figures). */
export const rf2SourceRef = createServiceRef<Rf2Source>('rf2.source');

export const rf2 = definePlugin({
  name: 'rf2',
  apiVersion: API_VERSION,
  version,
  description: 'rFactor 2 shared memory: telemetry and scoring topics, and the rF2 JSON websocket feed',
  provides: [rf2SourceRef],
  options: rf2Options,
  apply(api, options) {
    const opener = createOpener({ reader: options.reader, dir: path.resolve(api.configDir, options.dir), suffix: options.mapping, global: options.globalMapping });
    const torn = api.metrics.counter('acgateway_rf2_torn_copies_total', 'rF2 buffer copies found mid-write and dropped', ['buffer']);
    const source = new Rf2Source(
      {
        opener,
        logger: api.logger,
        publish: (topic, data, o) => void api.publish(topic, data, o),
        countBadInput: (kind) => api.countBadInput(kind),
        now: () => api.clock.now(),
        onTorn: (buffer, copies) => torn.labels(buffer).inc(copies),
        hasSubscribers: (topic) => api.bus.hasSubscribers(topic),
      },
      { pollHz: options.pollHz, scoringHz: options.scoringHz, vehiclesHz: options.vehiclesHz, pedals: options.feed.pedals },
    );
    api.addSource(source);
    api.provide(rf2SourceRef, source);
    const feed = options.feed.enabled ? createFeedEndpoint(api, options.feed, source) : undefined;
    if (feed) api.addEndpoint(feed);

    api.addCommand({
      verb: 'rf2 status',
      access: 'read',
      help: 'Connection state of the rF2 shared memory, where it is read from, and read counters',
      handler: () => ({
        ...source.currentStatus(),
        counters: source.counters(),
        feed: feed ? { urls: feed.urls(), clients: feed.clients?.() ?? 0, rateHz: options.feed.rateHz, pedals: options.feed.pedals } : null,
      }),
    });
    api.addCommand({
      verb: 'rf2 player',
      access: 'read',
      help: "The player's feed message and telemetry now",
      handler: () => {
        const player = source.currentPlayer();
        if (!player) {
          const s = source.currentStatus();
          throw new CommandError(s.state === 'not_running' ? 'NOT_RUNNING' : 'NO_PLAYER', s.reason);
        }
        return player;
      },
    });
  },
});
