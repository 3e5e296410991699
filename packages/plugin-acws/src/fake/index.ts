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
