export { Rf2FileWriter, type Rf2FileWriterOptions } from './file-writer.js';
export { Rf2Simulator, type Rf2SimulatorOptions, type SimulatorCarState } from './simulator.js';
