import { defaultNodeName, nodeNameSchema, z } from '@acgateway/core';

export const optionsSchema = z
  .object({
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('nats://127.0.0.1:4222'),
    node: nodeNameSchema.default(defaultNodeName).describe("This gateway's name (default: the host name)"),
    export: z.array(z.string().min(1)).default([]).describe('Local topic patterns published to NATS'),
    import: z.array(z.string().min(1)).default([]).describe('Patterns over <node>/<topic> brought onto the local bus, e.g. +/acudp/#'),
    interest: z
      .enum(['subscribers', 'all'])
      .default('subscribers')
      .describe('subscribers: ask NATS only for the imported topics a local subscriber (a client, the page, a plugin) wants now; all: for every import pattern'),
    retained: z
      .object({
        enabled: z.boolean().default(true).describe('Keep exported retained values in a JetStream KV bucket, for gateways that join late'),
        bucket: z.string().regex(/^[A-Za-z0-9_-]+$/).default('acgateway_retained'),
        maxAgeSec: z.number().int().positive().default(24 * 3600),
        maxValueBytes: z.number().int().positive().default(256 * 1024).describe('Larger retained values (camera frames) are not kept'),
        exclude: z.array(z.string().min(1)).default(['robocar/frame']).describe('Retained topics never kept in KV'),
      })
      .strict()
      .prefault({}),
    commands: z
      .object({
        enabled: z.boolean().default(true).describe('Answer @<node> commands from other gateways'),
        role: z.enum(['read', 'admin']).default('read').describe('What a command from another gateway may do here'),
        timeoutMs: z.number().int().positive().default(5000).describe('How long an @node command waits for its answer'),
      })
      .strict()
      .prefault({}),
    connectTimeoutMs: z.number().int().positive().default(5000).describe('How long one connection attempt may take (a TLS refusal shows only as a timeout)'),
    maxBufferedMessages: z.number().int().positive().default(10_000).describe('Exports kept while NATS is away; older ones are dropped and counted'),
    user: z.string().optional(),
    pass: z.string().optional(),
    token: z.string().optional(),
    nkeySeed: z.string().optional().describe('An NKey seed (SU...)'),
    credsFile: z.string().optional().describe('A .creds file (relative to the config folder)'),
    tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict().optional(),
  })
  .strict();

export type NatsOptions = z.output<typeof optionsSchema>;
export type NatsOptionsInput = z.input<typeof optionsSchema>;
