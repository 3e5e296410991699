import { rf2 } from './plugin.js';

export default rf2;
export { rf2, rf2Options, rf2SourceRef, type Rf2Options } from './plugin.js';
export * from './layout.js';
export { decodeCp1252, encodeCp1252 } from './cp1252.js';
export { Rf2BufferWriter, encodeScoring, encodeTelemetry, type ScoringInput, type TelemetryInput, type TelemetryVehicleInput, type Vec3Input, type VehicleScoringInput } from './encode.js';
export { Rf2FileWriter, type Rf2FileWriterOptions } from './file-writer.js';
export { Rf2Simulator, type Rf2SimulatorOptions, type SimulatorCarState } from './simulator.js';
export { findPlayer, type PlayerLookup } from './player.js';
export { ConsistentCopy, type SnapshotOptions, type SnapshotStats, type TakeResult } from './snapshot.js';
export { createOpener, FileMappingOpener, WindowsMappingOpener, type MappedRegion, type MappingOpener, type OpenResult, type ReaderChoice, type ReaderKind } from './readers/index.js';
export { Rf2Source, type PlayerState, type Rf2SourceDeps, type Rf2SourceOptions } from './source.js';
export { feedMessage, type FeedMessage, type Pedals, type ScoringMessage, type StatusMessage, type StatusState, type VehicleEntry, type VehiclesMessage } from './messages.js';
