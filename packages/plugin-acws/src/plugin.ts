import { createRequire } from 'node:module';
import path from 'node:path';
import { API_VERSION, ConfigError, coreServices, createServiceRef, definePlugin, isLoopback, RateLimitedLog, retiredRequireToken, type PluginApi } from '@acgateway/core';
import { acwsTopics } from './topics.js';
import { acwsCommands } from './verbs.js';
import { AcwsEvents } from './events.js';
import { GameServer } from './game-server.js';
import { Grid } from './grid.js';
import { LineEndpoint } from './line-endpoint.js';
import { Lobby } from './lobby.js';
import type { ProcessSpec } from './managed-process.js';
import { onThisOs, optionsSchema, type AcwsOptions } from './options.js';
import { publishEvents } from './publisher.js';
import { ServerConfig } from './server-config.js';
import { ServerFiles } from './server-files.js';
import { TrackerServer } from './tracker.js';

export const PLUGIN_VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** After the SIGKILL that follows a stop timeout, the time for the exit to be seen. */
const STOP_MARGIN_MS = 1000;

const isString = (v: unknown): v is string => typeof v === 'string';
const isArray = (v: unknown): v is string[] => Array.isArray(v);

function processSpec(
  o: AcwsOptions['acServer'] | AcwsOptions['stracker'],
  names: { title: string; short: string; fileTag: string },
  cwd: string,
  logDir: string,
  readyPattern?: RegExp,
): ProcessSpec {
  const command = onThisOs(o.command, isString);
  if (!command) throw new ConfigError(`${names.fileTag}.command has no entry for ${process.platform} and no "default"`);
  return {
    ...names,
    command,
    args: onThisOs(o.args, isArray) ?? [],
    cwd,
    env: o.env,
    logDir,
    stopTimeoutMs: o.stopTimeoutMs,
    startupGraceMs: o.startupGraceMs,
    readyPattern,
  };
}

/** What the plugin controls, for other plugins: acServer (start, stop, restart, its state), stracker, the config files, the grid, the lobby, and their events. */
export interface AcwsServer {
  game: GameServer;
  tracker: TrackerServer | undefined;
  config: ServerConfig;
  grid: Grid;
  lobby: Lobby;
  events: AcwsEvents;
}

export const acwsServerRef = createServiceRef<AcwsServer>('acws.server');

/**
 * `@acgateway/plugin-acws`: controls an Assetto Corsa dedicated server (acServer, stracker, its
 * config files, the grid and the lobby) through verbs on the gateway and the original
 * ac-websocket-server line protocol on its own websocket.
 */
const deps = { clock: coreServices.clock, dispatcher: coreServices.dispatcher };
/** The plugin's context, as its parts receive it. */
export type AcwsApi = PluginApi<typeof deps>;

export const acws = definePlugin({
  name: 'acws',
  apiVersion: API_VERSION,
  version: PLUGIN_VERSION,
  description: 'Assetto Corsa server control: process, config files, grid, lobby, tracker, line-command websocket',
  options: optionsSchema,
  deps,
  topics: Object.values(acwsTopics),
  provides: [acwsServerRef],
  apply(api, options) {
    const root = path.resolve(api.configDir, options.root);
    const logDir = path.resolve(root, options.logDir);
    const o = options.acws;
    if (o.enabled && !isLoopback(o.host) && !o.token && !o.readToken) {
      throw new ConfigError(`acws.host is ${o.host}, not loopback: set acws.token (full control) and/or acws.readToken (read-only), every connection must present one`);
    }
    const retired = retiredRequireToken('acws.acws', o.requireToken, Boolean(o.token || o.readToken));
    if (retired.error) throw new ConfigError(retired.error);
    if (retired.warning) api.logger.warn(retired.warning);
    // The host's stop must outlast acServer's and stracker's (stopped together): else it exits and leaves them running.
    api.requireStopTime(Math.max(options.acServer.stopTimeoutMs, options.stracker.enabled ? options.stracker.stopTimeoutMs : 0) + STOP_MARGIN_MS, 'acServer.stopTimeoutMs / stracker.stopTimeoutMs');
    const rate = new RateLimitedLog(5000, () => api.deps.clock.now());
    const badInput = (kind: string, message: string) => {
      api.countBadInput(kind);
      rate.log(kind, (suppressed) => api.logger.warn({ kind, suppressed }, message));
    };

    const events = new AcwsEvents();
    const files = new ServerFiles(root, { backupDir: options.backupDir, keepBackups: options.keepBackups, logDir, onBadInput: badInput });
    const config = new ServerConfig(files);
    const lobby = new Lobby(options.lobby, events, api.logger, async () => (await files.readServerCfg()).doc, () => new Date(api.deps.clock.now()));
    const game = new GameServer({
      spec: processSpec(options.acServer, { title: 'AC Server', short: 'AC Server', fileTag: 'acServer' }, root, logDir, /^CARS=/),
      files,
      config,
      lobby,
      events,
      logger: api.logger,
      checkPorts: options.acServer.checkPorts,
      onBadInput: badInput,
    });
    const strackerDir = path.resolve(root, options.stracker.cwd);
    const tracker = options.stracker.enabled
      ? new TrackerServer({
          spec: processSpec(options.stracker, { title: 'Stracker', short: 'stracker', fileTag: 'stracker' }, strackerDir, logDir),
          iniFile: path.join(strackerDir, 'stracker.ini'),
          events,
          logger: api.logger,
          checkPorts: options.stracker.checkPorts,
          onBadInput: badInput,
        })
      : undefined;
    const grid = new Grid(files, config, events, badInput);
    const line = o.enabled ? new LineEndpoint({ api, options: o, events, version: PLUGIN_VERSION, badInput }) : undefined;

    const exits = api.metrics.counter('acgateway_acws_process_exits_total', 'acServer/stracker exits, expected (stopped) or not (crashed)', ['process', 'expected']);
    events.on('process', (e) => {
      if (e.exit) exits.labels(e.who, String(e.exit.expected)).inc();
    });
    const publishInitial = publishEvents(api, events, { acServer: () => game.process.info(), stracker: () => tracker?.process.info() });

    for (const cmd of acwsCommands({ game, config, grid, lobby, tracker, line, events, files })) api.addCommand(cmd);

    // Who changed what, refused attempts included (the core logs successful ones only).
    api.hooks.commandDone.tap(api.name, (call, outcome) => {
      if (call.command.plugin !== api.name || call.command.access === 'read') return;
      const who = { endpoint: call.caller.endpoint, role: call.caller.role, remote: call.caller.remote, id: call.caller.id };
      const err = outcome.error instanceof Error ? outcome.error.message : undefined;
      api.logger.info({ audit: true, verb: call.verb, line: call.line, caller: who, ok: outcome.ok, ...(err ? { error: err } : {}) }, `acws command "${call.line}" by ${who.endpoint} ${who.id ?? ''} ${who.remote ?? ''}`.trim());
    });

    let autoStarting: Promise<void> | undefined;
    api.addSource({
      name: 'server',
      async start() {
        publishInitial();
        for (const p of [game, tracker]) {
          const orphan = p?.process.findOrphan();
          if (orphan) api.logger.error({ pid: orphan.pid, cmd: orphan.cmd, since: orphan.since }, `acws: ${p!.process.spec.title} (pid ${orphan.pid}) left running by a gateway that did not stop it holds its ports: "${p === game ? 'server' : 'tracker'} stop" ends it`);
        }
        // A missing or broken file is reported now, but does not stop the gateway: the verbs say it again.
        await config.current().catch((err: Error) => api.logger.error({ root }, `acws: ${err.message}`));
        // autoStart boots the servers in the background: the gateway is up meanwhile (a real acServer
        // takes seconds to load), `acws/server/status` says when each runs, a failure is logged.
        autoStarting = (async () => {
          if (options.acServer.autoStart) await game.start().catch((err: Error) => api.logger.error(`acws: autoStart of acServer failed: ${err.message}`));
          if (tracker && options.stracker.autoStart) await tracker.start().catch((err: Error) => api.logger.error(`acws: autoStart of stracker failed: ${err.message}`));
        })();
      },
      async stop() {
        await autoStarting; // a server still booting is stopped once it runs, not left behind
        await Promise.all([tracker?.shutdown(), game.shutdown()]);
      },
      status() {
        const orphans = [game, tracker].flatMap((p) => {
          const o = p?.process.findOrphan();
          return o ? [`${p!.process.spec.title} pid ${o.pid}`] : [];
        });
        const base = { acServer: game.process.state, stracker: tracker?.process.state ?? 'disabled', root };
        if (orphans.length) return { state: 'degraded', reason: `left running by a gateway that did not stop it: ${orphans.join(', ')} (the stop command ends it)`, ...base };
        return { state: game.process.state, ...base };
      },
    });
    if (line) api.addEndpoint(line);
    api.provide(acwsServerRef, { game, tracker, config, grid, lobby, events });
  },
});

export default acws;
