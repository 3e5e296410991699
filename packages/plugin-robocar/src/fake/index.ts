export { MjpegCameraSimulator, type MjpegCameraSimulatorOptions } from './mjpeg-server.js';
