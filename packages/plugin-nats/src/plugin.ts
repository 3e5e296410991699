import { createRequire } from 'node:module';
import { API_VERSION, coreServices, defineTopic, definePlugin, z, type PluginApi } from '@acgateway/core';
import { NatsBridge } from './bridge.js';
import { optionsSchema } from './options.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** `@acgateway/plugin-nats`: several gateways as one, over NATS. */
const deps = { bus: coreServices.bus, dispatcher: coreServices.dispatcher };
/** The topics it publishes, as contracts: imported messages, whatever their payload. */
export const natsTopics = {
  imported: defineTopic('+/#', z.unknown(), { description: 'A message of another gateway matching `import`, as `<node>/<topic>`: retained and payload as published on its node (checked there against its own declaration)', rate: 'as they come' }),
} as const;

/** The plugin's context, as the bridge receives it. */
export type BridgeApi = PluginApi<typeof deps>;

export const nats = definePlugin({
  name: 'nats',
  apiVersion: API_VERSION,
  version,
  description: 'The bus bridged over NATS: node prefixes, retained values in JetStream KV, @node commands',
  topics: Object.values(natsTopics),
  options: optionsSchema,
  deps,
  apply(api, options) {
    const bridge = new NatsBridge(api, options);
    api.addSource(bridge);
    api.addCommand({ verb: 'nats status', access: 'read', help: 'The NATS link: node, connected or why not, messages exported and imported, commands, drops', handler: () => bridge.status() });
  },
});

export default nats;
