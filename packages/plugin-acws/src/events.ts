import { EventEmitter } from 'node:events';
import type { DriverInfo, LobbyInfo } from './wire/line-protocol.js';
import type { ExitInfo, RunInfo } from './managed-process.js';

export type ProcessName = 'acServer' | 'stracker';

export interface ProcessEvent {
  who: ProcessName;
  what: 'started' | 'stopped' | 'crashed';
  run: RunInfo;
  exit?: ExitInfo;
}

export interface GridEvent {
  mode: 'finish' | 'reverse';
  source: string;
  order: Array<{ position: number; name: string; guid: string; model: string; from_slot: number; finished: boolean }>;
}

/**
 * What happens to the server, inside the plugin. The bus publisher and the line endpoint both
 * listen here: driver events carry addresses, which only full-control line clients may see, so
 * they do not go through the bus as they are.
 */
export interface AcwsEventMap {
  banner: [e: { version: string; timestamp: string; track: string; cars: string; msg: string }];
  session: [e: { type: string; laps: number; time: number }];
  driver: [d: DriverInfo];
  drivers: [list: DriverInfo[]];
  lobby: [l: LobbyInfo];
  process: [e: ProcessEvent];
  grid: [e: GridEvent];
  configWritten: [e: { file: string; backup: string | null; by: string }];
}

export class AcwsEvents extends EventEmitter<AcwsEventMap> {}
