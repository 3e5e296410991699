import { defaultNodeName, nodeNameSchema, z } from '@acgateway/core';

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** One export rule: the bus topics it takes, and how they go out. */
const exportRule = z.union([
  z.string().min(1),
  z
    .object({
      pattern: z.string().min(1).describe('Bus topic pattern (MQTT syntax: + one level, # the rest)'),
      qos: qos.optional().describe('QoS of these messages (default: defaultQos)'),
      maxRateHz: z.number().positive().max(1000).optional().describe('At most this many messages a second per topic; the newest goes out at the next slot'),
    })
    .strict(),
]);

export const optionsSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL').default('mqtt://127.0.0.1:1883'),
    node: nodeNameSchema.default(defaultNodeName).describe("This gateway's name in the topics (default: the host name)"),
    prefix: z.string().regex(/^[^#+]+$/, 'no wildcards').default('acgateway').describe('First level(s) of every topic: <prefix>/<node>/<bus topic>'),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe('4 = MQTT 3.1.1, 5 = MQTT 5'),
    export: z.array(exportRule).default([]).describe('Bus topics published to the broker'),
    defaultQos: qos.default(0),
    /** MQTT 5: how long a retained value lives at the broker (message expiry), seconds; unset = for ever. */
    retainedExpirySec: z.number().int().positive().optional(),
    import: z.array(z.string().min(1)).default([]).describe('MQTT topic patterns brought onto the bus as mqtt/<topic>'),
    maxImportBytes: z.number().int().positive().default(256 * 1024).describe('Larger imported payloads are dropped and counted'),
    commands: z
      .object({
        enabled: z.boolean().default(true),
        role: z.enum(['read', 'admin']).default('read').describe('What a command from the broker may do: read verbs only, or everything'),
      })
      .strict()
      .prefault({}),
    maxBufferedMessages: z.number().int().positive().default(1000).describe('Exported messages kept while the broker is away; older ones are dropped and counted'),
    reconnectMs: z.number().int().positive().default(1000),
    connectTimeoutMs: z.number().int().positive().default(5000),
    clientId: z.string().min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: z
      .object({
        ca: z.string().optional().describe('CA certificate file (relative to the config folder)'),
        cert: z.string().optional().describe('Client certificate file'),
        key: z.string().optional().describe('Client key file'),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
  })
  .strict();

export type MqttOptions = z.output<typeof optionsSchema>;
export type MqttOptionsInput = z.input<typeof optionsSchema>;
export type ExportRule = z.output<typeof exportRule>;
