export { FakeRaceControlServer, type FakeRaceControlOptions, type HandshakeRecord } from './server.js';
export { FakeRace, type FakeDriverSpec, type FakeRaceOptions } from './race-model.js';
export { LiveRace, type LiveRaceOptions } from './live.js';
