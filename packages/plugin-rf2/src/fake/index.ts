export { Rf2Writer, type Rf2WriterOptions } from './writer.js';
export { Rf2FileWriter, type Rf2FileWriterOptions } from './file-writer.js';
export { Rf2MappingWriter, type Rf2MappingWriterOptions } from './mapping-writer.js';
export { Rf2Simulator, type Rf2SimulatorOptions, type SimulatorCarState } from './simulator.js';
