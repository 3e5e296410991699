import { defineTopic, z, type SchemaIs, type TopicMap } from '@acgateway/core';
import type { GridEvent } from './events.js';
import type { LobbyInfo } from './wire/line-protocol.js';

// acws's topics as contracts (checked against every payload in tests; payloads in the README).
// Drivers on the bus carry no address: any gateway subscriber, read-only ones too, sees topics.

const iso = z.string().describe('ISO 8601 time');
const status = z.object({ state: z.string(), running: z.boolean(), pid: z.number().int().nullable(), since: iso.nullable(), log_file: z.string().nullable() });
const started = z.object({ pid: z.number().int().nullable(), cmd: z.array(z.string()), cwd: z.string(), log_file: z.string().nullable(), ts: iso });
const exited = z.object({ code: z.number().int().nullable(), signal: z.string().nullable(), expected: z.boolean(), during_startup: z.boolean(), uptime_s: z.number(), ts: iso });
const driver = z.object({ name: z.string(), car: z.string(), guid: z.string(), slot: z.number().int() });
const lobby = z.object({ connected: z.boolean(), since: iso.nullable(), url_register: z.string().nullable(), url_ping: z.string().nullable() });
const grid = z.object({
  mode: z.enum(['finish', 'reverse']),
  source: z.string(),
  order: z.array(z.object({ position: z.number().int(), name: z.string(), guid: z.string(), model: z.string(), from_slot: z.number().int(), finished: z.boolean() })),
});

export const acwsTopics = {
  serverStatus: defineTopic('acws/server/status', status, { retained: true, description: 'acServer: stopped, running, crashed ..., its pid and log file', rate: 'at start and on every change' }),
  serverStarted: defineTopic('acws/server/started', started, { description: 'acServer was started', rate: 'per start' }),
  serverExited: defineTopic('acws/server/exited', exited, { description: 'acServer exited (expected = we stopped it)', rate: 'per exit' }),
  serverInfo: defineTopic('acws/server/info', z.object({ version: z.string(), timestamp: z.string(), track: z.string(), cars: z.string() }), { retained: true, description: "acServer's banner: version, start time, track and cars as printed", rate: 'per start' }),
  session: defineTopic('acws/session', z.object({ type: z.string(), laps: z.number().int(), time_min: z.number(), active: z.literal(true) }), { retained: true, description: 'the session that started', rate: 'per session' }),
  driverJoined: defineTopic('acws/driver/joined', driver.extend({ ts: iso }), { description: 'a driver joined', rate: 'per join' }),
  driverLeft: defineTopic('acws/driver/left', driver.extend({ ts: iso }), { description: 'a driver left', rate: 'per leave' }),
  drivers: defineTopic('acws/drivers', z.object({ count: z.number().int(), drivers: z.array(driver) }), { retained: true, description: 'the drivers on the server', rate: 'on every join, leave and reset' }),
  lobby: defineTopic('acws/lobby', lobby, { retained: true, description: 'the standing with the Kunos lobby', rate: 'on change' }),
  trackerStatus: defineTopic('acws/tracker/status', status, { retained: true, description: 'stracker, as acws/server/status', rate: 'at start and on every change' }),
  trackerStarted: defineTopic('acws/tracker/started', started, { description: 'stracker was started', rate: 'per start' }),
  trackerExited: defineTopic('acws/tracker/exited', exited, { description: 'stracker exited', rate: 'per exit' }),
  grid: defineTopic('acws/grid', grid, { retained: true, description: 'the grid written from a results file (finish or reverse order)', rate: 'per grid command' }),
  configWritten: defineTopic('acws/config/written', z.object({ file: z.string(), backup: z.string().nullable(), by: z.string(), ts: iso }), { description: 'a config file was written, with its backup and who did it', rate: 'per write' }),
};

/** acws's topics by name and payload type, for a typed client. */
export type AcwsTopics = TopicMap<typeof acwsTopics>;

true satisfies SchemaIs<typeof grid, GridEvent>;
true satisfies SchemaIs<typeof lobby, LobbyInfo>;
