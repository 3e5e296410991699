import { rf2 } from './plugin.js';

export default rf2;
export { rf2, rf2SourceRef } from './plugin.js';
export { rf2Topics, type Rf2Topics } from './topics.js';
export { rf2Options, type Rf2Options } from './options.js';
export * from './wire/layout.js';
export { decodeCp1252, encodeCp1252 } from './wire/cp1252.js';
export { encodeFeedJson, pyFloat } from './wire/py-json.js';
export { Rf2BufferWriter, encodeScoring, encodeTelemetry, type ScoringInput, type TelemetryInput, type TelemetryVehicleInput, type Vec3Input, type VehicleScoringInput } from './wire/encode.js';
export { findPlayer, type PlayerLookup } from './player.js';
export { ConsistentCopy, type SnapshotOptions, type SnapshotStats, type TakeResult } from './snapshot.js';
export { createOpener, FileMappingOpener, WindowsMappingOpener, type MappedRegion, type MappingOpener, type OpenResult, type ReaderChoice, type ReaderKind } from './readers/index.js';
export { Rf2Source, type PlayerState, type Rf2SourceDeps, type Rf2SourceOptions } from './source.js';
export { feedMessage, type FeedMessage, type Pedals, type ScoringMessage, type StatusMessage, type StatusState, type VehicleEntry, type VehiclesMessage } from './messages.js';
