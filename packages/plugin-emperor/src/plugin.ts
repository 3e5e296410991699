import { createRequire } from 'node:module';
import { API_VERSION, coreServices, createServiceRef, definePlugin } from '@acgateway/core';
import { emperorTopics } from './topics.js';
import { emperorCommands } from './verbs.js';
import { optionsSchema } from './options.js';
import { ServerSession } from './server-session.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Each configured server's session by name, for other plugins: its merged `state` (drivers, session, timing). */
export const emperorStateRef = createServiceRef<ReadonlyMap<string, ServerSession>>('emperor.state');

/**
 * Emperor Servers / Assetto Corsa Server Manager race-control client: one websocket per named server,
 * decoded into session, track and driver state, published as `emperor/<server>/...` topics.
 */
export const emperor = definePlugin({
  name: 'emperor',
  apiVersion: API_VERSION,
  version,
  description: 'Emperor Servers (Assetto Corsa Server Manager) race-control client',
  topics: Object.values(emperorTopics),
  options: optionsSchema,
  deps: { clock: coreServices.clock },
  provides: [emperorStateRef],
  apply(api, options) {
    const frames = api.metrics.counter('acgateway_emperor_frames_total', 'Race-control frames decoded, per server and event', ['server', 'event']);
    const connected = api.metrics.gauge('acgateway_emperor_connected', 'Whether the race-control websocket is open (1) or not (0), per server', ['server']);
    const sessions = new Map<string, ServerSession>();
    for (const server of options.servers) {
      const session = new ServerSession(server, options, {
        publish: (topic, data, opts) => void api.publish(topic, data, opts),
        logger: api.logger,
        countBadInput: (kind) => api.countBadInput(kind),
        clock: api.deps.clock,
        frames,
        connected,
      });
      sessions.set(server.name, session);
      api.addSource({
        name: server.name,
        start: () => session.start(),
        stop: () => session.stop(),
        status: () => session.sourceStatus(),
      });
    }
    for (const command of emperorCommands(sessions)) api.addCommand(command);
    api.provide(emperorStateRef, sessions);
  },
});
