/**
 * Where things live on the broker, for a gateway named `node` under `prefix`:
 *   <prefix>/<node>/<bus topic>   an exported message (bus topics are already MQTT-shaped)
 *   <prefix>/<node>/status        online / offline (retained; offline is the last will)
 *   <prefix>/<node>/cmd           command requests
 *   <prefix>/<node>/cmd/reply     replies for MQTT 3.1.1 clients (MQTT 5 uses the request's response topic)
 * Imported MQTT topics appear on the bus as mqtt/<mqtt topic>.
 */
export class TopicMap {
  readonly base: string;

  constructor(prefix: string, readonly node: string) {
    this.base = `${prefix.replace(/\/+$/, '')}/${node}`;
  }

  exported(busTopic: string): string {
    return `${this.base}/${busTopic}`;
  }

  get status(): string {
    return `${this.base}/status`;
  }

  get commands(): string {
    return `${this.base}/cmd`;
  }

  get replies(): string {
    return `${this.base}/cmd/reply`;
  }

  /** Whether an MQTT topic is this gateway's own (never imported back). */
  isOwn(mqttTopic: string): boolean {
    return mqttTopic === this.base || mqttTopic.startsWith(`${this.base}/`);
  }
}

export const IMPORT_PREFIX = 'mqtt';

export function importedTopic(mqttTopic: string): string {
  return `${IMPORT_PREFIX}/${mqttTopic}`;
}
