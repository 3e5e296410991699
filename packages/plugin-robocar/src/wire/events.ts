/**
 * The robocar socket.io wire format: event names and payload shapes, exactly as the original
 * sensor stream sends them. No I/O here, so it can be read against the protocol document.
 */

export const EVENTS = {
  /** Server -> client: the connect greeting (to that client) and the periodic status (to all). */
  status: 'status',
  /** Server -> client, every publish tick: timestamp and the camera frame (or null). */
  sensorData: 'sensor_data',
  /** Client -> server. */
  ping: 'ping',
  /** Server -> client, answer to `ping`. */
  pong: 'pong',
} as const;

export const CONNECT_MESSAGE = 'Connected to robocar sensor stream';

/** Sent once to a client when it connects. Has no timestamp: clients tell the two `status` shapes apart by keys. */
export interface ConnectStatus {
  message: string;
  connected: true;
}

/** Broadcast every publish tick. */
export interface PeriodicStatus {
  /** Unix time, seconds (float). */
  timestamp: number;
  camera_connected: boolean;
  clients_connected: number;
}

export interface CameraPayload {
  /** The JPEG file, standard base64 without a data-URL prefix. */
  frame: string;
  width: number;
  height: number;
  format: 'jpeg';
}

export interface SensorData {
  /** Unix time, seconds (float), when the tick collected its data. */
  timestamp: number;
  /** Null when there is no camera or it produced no new frame since the previous tick. */
  camera: CameraPayload | null;
}

export interface Pong {
  /** Server's unix time, seconds (float). */
  timestamp: number;
}

/** Milliseconds since the epoch to the float seconds the original sends (Python's time.time()). */
export function toSeconds(ms: number): number {
  return ms / 1000;
}

export function connectStatus(): ConnectStatus {
  return { message: CONNECT_MESSAGE, connected: true };
}

export function periodicStatus(nowMs: number, cameraConnected: boolean, clientsConnected: number): PeriodicStatus {
  return { timestamp: toSeconds(nowMs), camera_connected: cameraConnected, clients_connected: clientsConnected };
}

export function cameraPayload(frameBase64: string, width: number, height: number): CameraPayload {
  return { frame: frameBase64, width, height, format: 'jpeg' };
}

export function sensorData(nowMs: number, camera: CameraPayload | null): SensorData {
  return { timestamp: toSeconds(nowMs), camera };
}

export function pong(nowMs: number): Pong {
  return { timestamp: toSeconds(nowMs) };
}
