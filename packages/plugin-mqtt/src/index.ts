export { mqtt, mqtt as default, mqttTopics } from './plugin.js';
export { optionsSchema, type MqttOptions, type MqttOptionsInput } from './options.js';
export { MqttBridge, safeUrl } from './bridge.js';
export { TopicMap, importedTopic, IMPORT_PREFIX } from './wire/topics.js';
export { decodeCommand, decodePayload, encodePayload, encodeReply, type CommandRequest } from './wire/payload.js';
