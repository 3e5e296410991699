export { acws, acws as default, acwsServerRef, PLUGIN_VERSION, type AcwsServer } from './plugin.js';
export { optionsSchema, type AcwsOptions, type AcwsOptionsInput } from './options.js';
export {
  createSandboxServerRoot,
  fakeAcServerCommand,
  fakeAcServerPath,
  makeRaceResult,
  pickSandboxPorts,
  raceResultName,
  type RaceResultCar,
  type SandboxDriver,
  type SandboxOptions,
  type SandboxPorts,
  type SandboxServerRoot,
} from './sandbox.js';
export { parseAcIni, renderAcIni, updateAcIni, IniSyntaxError, type IniDoc, type IniSection } from './formats/ac-ini.js';
export { AcServerLogParser, LOG_PATTERNS, type LogEvent, type DriverJoin } from './formats/acserver-log.js';
export { buildGrid, parseRaceResult, type GridSlot, type RaceResult } from './formats/results-json.js';
export { PROTOCOL_VERSION, COMMAND_FAMILIES, type DriverInfo, type LobbyInfo } from './formats/line-protocol.js';
