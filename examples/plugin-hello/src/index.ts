import { createRequire } from 'node:module';
import { API_VERSION, CommandError, definePlugin, sendJson, z } from '@acgateway/core';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Options, validated and defaulted by the host before `apply` (zod). */
const options = z
  .object({
    /** Who the ticker greets. */
    name: z.string().min(1).default('world'),
    /** Ticks per second on `hello/tick`. */
    rateHz: z.number().positive().max(100).default(1),
    /** Where the HTTP endpoint listens (port 0: a free port). */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8095),
  })
  .strict();

export interface HelloTick {
  greeting: string;
  /** Ticks since start. */
  count: number;
}

/**
 * A complete small plugin: a source publishing `hello/tick`, an HTTP endpoint at `/hello` with the
 * last tick, and a verb `hello greet <name>`.
 */
export const hello = definePlugin({
  name: 'hello',
  version,
  apiVersion: API_VERSION,
  description: 'Says hello on a topic, over HTTP and as a verb',
  options,
  apply(api, opts) {
    let timer: NodeJS.Timeout | undefined;
    let count = 0;
    let last: HelloTick | undefined;

    api.addSource({
      name: 'ticker',
      start() {
        timer = setInterval(() => {
          last = { greeting: `hello, ${opts.name}`, count: ++count };
          api.publish('hello/tick', last);
        }, 1000 / opts.rateHz);
      },
      stop() {
        clearInterval(timer);
      },
      status: () => ({ state: timer ? 'running' : 'stopped', count }),
    });

    api.addEndpoint(
      api.endpoints.http({
        name: 'http',
        host: opts.host,
        port: opts.port,
        routes: [{ path: '/hello', handler: (_req, res) => sendJson(res, 200, last ?? { greeting: null, count: 0 }) }],
      }),
    );

    api.addCommand({
      verb: 'hello greet',
      args: [{ name: 'who', rest: true }],
      access: 'read',
      help: 'Greets someone (and publishes the greeting on hello/greeted)',
      handler: ({ args }) => {
        const who = String(args.who).trim();
        if (who.length > 64) throw new CommandError('BAD_ARGS', 'a name is at most 64 characters');
        const greeting = { greeting: `hello, ${who}` };
        api.publish('hello/greeted', greeting);
        return greeting;
      },
    });
  },
});

export default hello;
