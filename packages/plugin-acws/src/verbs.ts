import { CommandError, type CommandSpec } from '@acgateway/core';
import type { GameServer } from './game-server.js';
import type { Grid } from './grid.js';
import type { Lobby } from './lobby.js';
import type { LineEndpoint } from './line-endpoint.js';
import type { ServerConfig } from './server-config.js';
import type { TrackerServer } from './tracker.js';
import { SESSION_SECTIONS, type SessionOption, type SessionSection } from './wire/server-cfg.js';
import type { AcwsEvents } from './events.js';
import { viewEntries } from './wire/entry-list.js';
import type { ServerFiles } from './server-files.js';

export interface Services {
  game: GameServer;
  config: ServerConfig;
  grid: Grid;
  lobby: Lobby;
  tracker: TrackerServer | undefined;
  line: LineEndpoint | undefined;
  events: AcwsEvents;
  files: ServerFiles;
}

const noTracker = (): never => {
  throw new CommandError('NOT_CONFIGURED', 'stracker is disabled in this gateway (options.stracker.enabled = false)');
};

/**
 * Every verb of the original, with its reply shape. Read-only verbs (`access: 'read'`) only look;
 * everything else needs a full-control caller and is logged with who asked.
 */
export function acwsCommands(s: Services): CommandSpec[] {
  const tracker = () => s.tracker ?? noTracker();
  return [
    // --- server ---
    { verb: 'server info', access: 'read', help: 'Summary of the server: config, version, drivers, entries, sessions, lobby, running', handler: async ({ caller }) => ({ server: await s.game.info(caller.role) }) },
    { verb: 'server drivers', access: 'read', help: 'Drivers connected now, by name (addresses for full-control callers only)', handler: ({ caller }) => ({ drivers: s.game.driversView(caller.role) }) },
    {
      verb: 'server entries',
      access: 'read',
      help: 'The slots of cfg/entry_list.ini, by slot number',
      handler: async () => ({ entries: viewEntries((await s.files.readEntryList()).entries) }),
    },
    { verb: 'server sessions', access: 'read', help: 'Sessions of cfg/server_cfg.ini (with edits not yet written), by NAME', handler: async () => ({ sessions: await s.game.sessionsView() }) },
    { verb: 'server start', help: 'Starts acServer (applies a grid saved with "grid save" first)', handler: () => s.game.start() },
    { verb: 'server stop', help: 'Stops acServer: SIGTERM, then SIGKILL after the stop timeout', handler: () => s.game.stop() },
    { verb: 'server restart', help: 'Stops acServer if it runs, then starts it', handler: () => s.game.restart() },
    {
      verb: 'server session',
      args: [
        { name: 'session', choices: SESSION_SECTIONS },
        { name: 'option', choices: ['enable', 'disable', 'laps', 'time'] },
        { name: 'value', type: 'int', min: 0, max: 100000, optional: true, help: 'laps, or minutes' },
      ],
      help: 'Edits a session of server_cfg.ini in memory; "server configuration write" saves it',
      handler: async ({ args }) => {
        const option = args.option as SessionOption;
        const needsValue = option === 'laps' || option === 'time';
        if (needsValue && args.value === undefined) throw new CommandError('BAD_ARGS', `Failed to parse arguments to set command: "${option}" needs a number; usage: server session <PRACTICE|QUALIFY|RACE> ${option} <N>`);
        if (!needsValue && args.value !== undefined) throw new CommandError('BAD_ARGS', `Failed to parse arguments to set command: "${option}" takes no number`);
        return { msg: await s.config.edit({ session: args.session as SessionSection, option, value: args.value as number | undefined }) };
      },
    },
    {
      verb: 'server configuration',
      args: [{ name: 'action', choices: ['write', 'reload'] }],
      help: '"write": saves server_cfg.ini (atomic, with a timestamped backup); "reload": forgets edits not yet written',
      handler: async ({ args, caller }) => {
        if (args.action === 'write') {
          const written = await s.config.write();
          s.events.emit('configWritten', { file: written.file, backup: written.backup, by: `${caller.endpoint}:${caller.id ?? caller.remote ?? '?'}` });
          return written;
        }
        const dropped = s.config.discard();
        return { msg: `Reloaded cfg/server_cfg.ini (${dropped} edit${dropped === 1 ? '' : 's'} not written were dropped)`, server: await s.game.info(caller.role) };
      },
    },
    // --- grid ---
    { verb: 'grid finish', help: 'Grid in the finishing order of the newest race result (non-finishers and absent slots last)', handler: () => s.grid.compute('finish') },
    { verb: 'grid reverse', help: 'Grid in the reversed finishing order of the newest race result (non-finishers and absent slots last)', handler: () => s.grid.compute('reverse') },
    { verb: 'grid order', access: 'read', help: 'The grid computed by "grid finish" or "grid reverse"', handler: () => s.grid.order() },
    { verb: 'grid entries', access: 'read', help: 'The slots of cfg/entry_list.ini in order', handler: () => s.grid.entries() },
    { verb: 'grid save', help: 'Writes the grid to cfg/entry_list_new.ini; the next "server start" applies it', handler: () => s.grid.save() },
    // --- lobby ---
    { verb: 'lobby info', access: 'read', help: 'Whether acServer is registered with the lobby, since when, and the URLs it used', handler: () => ({ lobby: s.lobby.info() }) },
    {
      verb: 'lobby restart',
      help: 'Registers with the lobby again (the URL acServer last used, re-pointed at the configured lobby)',
      handler: async () => {
        const l = await s.lobby.register();
        return { lobby: { event: { connected: l.connected, timestamp: l.since, url_register: l.url_register, url_ping: l.url_ping } } };
      },
    },
    // --- tracker ---
    { verb: 'tracker start', help: 'Starts stracker', handler: () => tracker().start() },
    { verb: 'tracker stop', help: 'Stops stracker', handler: () => tracker().stop() },
    { verb: 'tracker restart', help: 'Stops stracker if it runs, then starts it', handler: () => tracker().restart() },
    { verb: 'tracker status', access: 'read', help: 'Whether stracker runs, and since when', handler: () => (s.tracker ? s.tracker.status() : { msg: 'stracker is NOT running', enabled: false }) },
    // --- shutdown ---
    {
      verb: 'shutdown',
      args: [{ name: 'when', choices: ['now'] }],
      help: 'Closes the acws line-protocol websocket (acServer, stracker and the gateway keep running)',
      handler: () => {
        if (!s.line?.isRunning) throw new CommandError('NOT_RUNNING', 'the acws websocket endpoint is not running');
        return s.line.shutdown();
      },
    },
  ];
}
