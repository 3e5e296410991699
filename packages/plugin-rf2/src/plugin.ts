import { createRequire } from 'node:module';
import path from 'node:path';
import { API_VERSION, coreServices, createServiceRef, definePlugin, type PluginApi } from '@acgateway/core';
import { createFeedEndpoint } from './feed.js';
import { createOpener } from './readers/index.js';
import { Rf2Source } from './source.js';
import { rf2Options } from './options.js';
import { rf2Verbs } from './verbs.js';
import { rf2Topics } from './topics.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** The plugin's shared-memory source, for other plugins (`currentPlayer()`, `currentStatus()`, its figures). */
export const rf2SourceRef = createServiceRef<Rf2Source>('rf2.source');

const deps = { bus: coreServices.bus, clock: coreServices.clock };
/** The plugin's context, as its parts receive it. */
export type Rf2Api = PluginApi<typeof deps>;

export const rf2 = definePlugin({
  name: 'rf2',
  apiVersion: API_VERSION,
  version,
  description: 'rFactor 2 shared memory: telemetry and scoring topics, and the rF2 JSON websocket feed',
  deps,
  topics: Object.values(rf2Topics),
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
        clearRetained: (topic) => api.deps.bus.clearRetained(topic),
        countBadInput: (kind) => api.countBadInput(kind),
        now: () => api.deps.clock.now(),
        onTorn: (buffer, copies) => torn.labels(buffer).inc(copies),
        hasSubscribers: (topic) => api.deps.bus.hasSubscribers(topic),
      },
      { pollHz: options.pollHz, scoringHz: options.scoringHz, vehiclesHz: options.vehiclesHz, pedals: options.feed.pedals },
    );
    api.addSource(source);
    api.provide(rf2SourceRef, source);
    const feed = options.feed.enabled ? createFeedEndpoint(api, options.feed) : undefined;
    if (feed) api.addEndpoint(feed);

    for (const verb of rf2Verbs(source, () => feed, options.feed)) api.addCommand(verb);
  },
});
