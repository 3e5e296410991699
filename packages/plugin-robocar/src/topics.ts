/** Bus topics of this plugin and their payloads (plain JSON, documented in the README). */

export const TOPICS = {
  /** Every camera frame, retained (cleared when the camera goes away). Subscribe with the `latest` policy. */
  frame: 'robocar/frame',
  /** The periodic status, same shape as the socket.io `status` event, retained. */
  status: 'robocar/status',
} as const;

export interface FrameMessage {
  /** Unix time, seconds (float), when the frame arrived from the camera. */
  timestamp: number;
  /** Counts frames since the camera source started. */
  seq: number;
  /** Read from the JPEG's own frame header (SOF). */
  width: number;
  height: number;
  format: 'jpeg';
  /** The JPEG file, standard base64. */
  frame: string;
  /** Size of the JPEG file, bytes. */
  bytes: number;
}
