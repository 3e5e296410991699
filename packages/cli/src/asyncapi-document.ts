import { API_VERSION, CORE_VERSION, z, type TopicSpec } from '@acgateway/core';

type Json = Record<string, unknown>;

/** A component key for a topic pattern (AsyncAPI keys allow letters, digits, `.`, `-`, `_`). */
const keyOf = (pattern: string) => `topic.${pattern.replace(/\+/g, '_any_').replace(/#/g, '_rest_').replace(/[^\w.-]/g, '.')}`;
const schemaOf = (s: z.ZodType) => {
  const j = z.toJSONSchema(s, { target: 'draft-7', unrepresentable: 'any', io: 'output' }) as Json;
  delete j.$schema;
  return j;
};
const ref = (path: string) => ({ $ref: path });
const obj = (properties: Json, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required });
const id = { description: 'echoed in the reply: a string of at most 256 characters, a finite number or null', oneOf: [{ type: 'string', maxLength: 256 }, { type: 'number' }, { type: 'null' }] };
const patterns = { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 256, description: "topic patterns, MQTT syntax: '+' one level, '#' the rest" };
const policy = { type: 'string', enum: ['latest', 'queue'], default: 'latest' };
const error = obj({ message: { type: 'string' }, code: { type: 'string', description: 'UNKNOWN_VERB, BAD_ARGS, FORBIDDEN, BAD_JSON, UNKNOWN_OP, BAD_FRAME, BAD_TOPICS, BAD_POLICY, BUSY, BAD_WINDOW, BAD_ACK, COMMAND_FAILED, TIMEOUT, UNKNOWN_NODE, or a plugin\'s own' } });

/** The protocol's own frames (README, "The gateway websocket protocol"), client to server and back. */
const CONTROL: Record<string, { dir: 'send' | 'receive'; summary: string; payload: Json }> = {
  subscribe: { dir: 'send', summary: 'Subscribe to topic patterns; retained values come at once', payload: obj({ op: { const: 'subscribe' }, topics: patterns, policy }, ['op', 'topics']) },
  unsubscribe: { dir: 'send', summary: 'Stop receiving topic patterns', payload: obj({ op: { const: 'unsubscribe' }, topics: patterns }) },
  command: {
    dir: 'send',
    summary: 'Run a command line ("ac broadcast ...", "@track1 ac kick 3") or a verb with arguments',
    payload: { type: 'object', required: ['op', 'id'], properties: { op: { const: 'command' }, id, line: { type: 'string' }, verb: { type: 'string' }, args: { type: 'array', items: { type: 'string' } } } },
  },
  ping: { dir: 'send', summary: 'Ask for a pong', payload: obj({ op: { const: 'ping' }, id }, ['op']) },
  window: {
    dir: 'send',
    summary: 'Acknowledged flow: at most this many data frames unacknowledged (0 turns it off); the server answers with the same frame',
    payload: obj({ op: { const: 'window' }, frames: { type: 'integer', minimum: 0, maximum: 100000 }, id }, ['op', 'frames']),
  },
  ack: { dir: 'send', summary: 'Acknowledged flow: the data frames read since the connection opened', payload: obj({ op: { const: 'ack' }, count: { type: 'integer', minimum: 0 } }, ['op', 'count']) },
  welcome: { dir: 'receive', summary: 'First frame of a connection: the server and the role it gave this client', payload: obj({ op: { const: 'welcome' }, server: { const: 'acgateway' }, version: { type: 'string' }, apiVersion: { type: 'integer' }, role: { enum: ['admin', 'read'] } }) },
  subscribed: { dir: 'receive', summary: 'A subscribe was taken', payload: obj({ op: { const: 'subscribed' }, topics: patterns, policy }) },
  reply: { dir: 'receive', summary: "A command's reply: data, or error with a code", payload: { type: 'object', required: ['id'], properties: { id, data: {}, error } } },
  error: { dir: 'receive', summary: 'A frame the server could not take (the connection stays open)', payload: obj({ op: { const: 'error' }, error }) },
  dropped: { dir: 'receive', summary: 'Messages of a queue subscription dropped for a slow client', payload: obj({ op: { const: 'dropped' }, count: { type: 'integer' }, reason: { type: 'string' } }) },
  windowSet: { dir: 'receive', summary: 'A window was taken', payload: obj({ op: { const: 'window' }, frames: { type: 'integer' }, id }, ['op', 'frames']) },
  pong: { dir: 'receive', summary: 'The answer to a ping', payload: obj({ op: { const: 'pong' }, id, ts: { type: 'number' } }, ['op', 'ts']) },
};

/**
 * The AsyncAPI 3.0 description of the gateway websocket: every operation of the protocol, and a
 * message for every declared topic whose `data` is its payload's JSON Schema (from the zod
 * declaration). `acgateway asyncapi` prints it.
 */
export function asyncApiDocument(topics: ReadonlyArray<{ plugin: string; spec: TopicSpec }>, server = { host: '127.0.0.1:8090' }): Json {
  const messages: Json = {};
  const operations: Json = {};
  const channelMessages: Json = {};
  for (const [name, c] of Object.entries(CONTROL)) {
    messages[name] = { name, summary: c.summary, contentType: 'application/json', payload: c.payload };
    channelMessages[name] = ref(`#/components/messages/${name}`);
    operations[name] = { action: c.dir, channel: ref('#/channels/gateway'), summary: c.summary, messages: [ref(`#/channels/gateway/messages/${name}`)] };
  }
  for (const { plugin, spec } of topics) {
    const key = keyOf(spec.pattern);
    const wildcard = /[+#]/.test(spec.pattern);
    messages[key] = {
      name: spec.pattern,
      title: spec.pattern,
      summary: spec.description,
      description: `${spec.description}${spec.rate ? `. Rate: ${spec.rate}` : ''}${spec.retained ? '. Retained: sent at once on subscribe' : ''}. Plugin: ${plugin}.`,
      contentType: 'application/json',
      payload: obj({ topic: wildcard ? { type: 'string', description: `a topic matching ${spec.pattern}` } : { const: spec.pattern }, ts: { type: 'number', description: 'ms since the epoch' }, data: schemaOf(spec.schema) }),
      'x-retained': spec.retained,
      'x-plugin': plugin,
    };
    channelMessages[key] = ref(`#/components/messages/${key}`);
  }
  const topicRefs = topics.map(({ spec }) => ref(`#/channels/gateway/messages/${keyOf(spec.pattern)}`));
  if (topicRefs.length) operations.receiveTopic = { action: 'receive', channel: ref('#/channels/gateway'), summary: 'A message on a subscribed topic', messages: topicRefs };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'acgateway gateway websocket',
      version: CORE_VERSION,
      description: `JSON text frames over one websocket (plugin API ${API_VERSION}). Topics are declared by the plugins of the config this was made from.`,
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: { host: server.host, protocol: 'ws', pathname: '/', security: [ref('#/components/securitySchemes/bearer'), ref('#/components/securitySchemes/queryToken')] },
    },
    channels: { gateway: { address: '/', messages: channelMessages } },
    operations,
    components: {
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'server.token (admin) or server.readToken (read-only) as Authorization: Bearer' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'the same token in ?token= (browsers cannot set headers)' },
      },
    },
  };
}
