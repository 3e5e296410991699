import type { CommandSpec } from '@acgateway/core';
import type { MqttBridge } from './bridge.js';

export function mqttVerbs(bridge: MqttBridge): CommandSpec[] {
  return [
    {
      verb: 'mqtt status',
      access: 'read',
      help: 'The MQTT link: broker (no credentials), node, connected or why not, messages exported, imported, commands, dropped',
      handler: () => bridge.status(),
    },
  ];
}
