import { createRequire } from 'node:module';
import { API_VERSION, coreServices, defineTopic, definePlugin, z, type PluginApi } from '@acgateway/core';
import { MqttBridge } from './bridge.js';
import { optionsSchema } from './options.js';
import { mqttVerbs } from './verbs.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * `@acgateway/plugin-mqtt`: the bus to and from an MQTT 3.1.1 or 5 broker (mosquitto, EMQX, the
 * brokers of Home Assistant and Node-RED), for the tools that speak MQTT.
 */
const deps = { bus: coreServices.bus, dispatcher: coreServices.dispatcher };
/** The topics it publishes, as contracts: imported messages, whatever their payload. */
export const mqttTopics = {
  imported: defineTopic('mqtt/#', z.unknown(), { description: 'A message on an `import` pattern, as `mqtt/<mqtt topic>`: its payload parsed as JSON, else the text; retained as at the broker', rate: 'as they come' }),
} as const;

/** The plugin's context, as the bridge receives it. */
export type BridgeApi = PluginApi<typeof deps>;

export const mqtt = definePlugin({
  name: 'mqtt',
  apiVersion: API_VERSION,
  version,
  description: 'The bus to and from an MQTT broker: export, import, commands, last will',
  topics: Object.values(mqttTopics),
  options: optionsSchema,
  deps,
  apply(api, options) {
    if (!options.export.length && !options.import.length && !options.commands.enabled) {
      api.logger.warn('mqtt: nothing to export or import and commands are off: the bridge only says online/offline');
    }
    const bridge = new MqttBridge(api, options);
    api.addSource(bridge);
    for (const verb of mqttVerbs(bridge)) api.addCommand(verb);
  },
});

export default mqtt;
