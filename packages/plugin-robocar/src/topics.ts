/** Bus topics of this plugin and their payloads (plain JSON, documented in the README), declared as contracts below. */
import { defineTopic, z, type SchemaIs, type TopicMap } from '@acgateway/core';
import type { PeriodicStatus } from './wire/events.js';

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

const frame = z.object({ timestamp: z.number(), seq: z.number().int(), width: z.number().int(), height: z.number().int(), format: z.literal('jpeg'), frame: z.string(), bytes: z.number().int() });
const status = z.object({ timestamp: z.number(), camera_connected: z.boolean(), clients_connected: z.number().int() });

export const robocarTopics = {
  frame: defineTopic(TOPICS.frame, frame, { retained: true, description: 'the newest camera frame (JPEG, base64); subscribe with the latest policy', rate: 'the camera\'s frame rate' }),
  status: defineTopic(TOPICS.status, status, { retained: true, description: 'the periodic status, as the socket.io status event', rate: 'every stream tick' }),
};

/** robocar's topics by name and payload type, for a typed client. */
export type RobocarTopics = TopicMap<typeof robocarTopics>;

true satisfies SchemaIs<typeof frame, FrameMessage>;
true satisfies SchemaIs<typeof status, PeriodicStatus>;
