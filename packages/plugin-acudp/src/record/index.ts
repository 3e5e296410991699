export { decodeRecording, encodeFileHeader, encodeRecord, isRecording, Direction, RECORDING_MAGIC, RECORDING_VERSION, type RecordedDatagram, type Recording } from './format.js';
export { Recorder, type RecorderOptions } from './recorder.js';
export { loadReplay, Replayer, type ReplayerOptions, type ReplaySource, type ReplaySpeed } from './replay.js';
