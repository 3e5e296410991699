export { acws, acws as default, acwsServerRef, PLUGIN_VERSION, type AcwsServer } from './plugin.js';
export { acwsTopics, type AcwsTopics } from './topics.js';
export { optionsSchema, type AcwsOptions, type AcwsOptionsInput } from './options.js';
export { parseAcIni, renderAcIni, updateAcIni, IniSyntaxError, type IniDoc, type IniSection } from './wire/ac-ini.js';
export { AcServerLogParser, LOG_PATTERNS, type LogEvent, type DriverJoin } from './wire/acserver-log.js';
export { buildGrid, parseRaceResult, type GridSlot, type RaceResult } from './wire/results-json.js';
export { PROTOCOL_VERSION, COMMAND_FAMILIES, type DriverInfo, type LobbyInfo } from './wire/line-protocol.js';
