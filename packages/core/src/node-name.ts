import os from 'node:os';
import { z } from 'zod';

/**
 * A gateway's name among several (the bridges' `node` option): one topic level, which MQTT topics
 * and NATS subjects carry as it is.
 */
export const nodeNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-" (one topic level)');

/** This machine's host name as a node name (what a topic level can carry of it). */
export function defaultNodeName(): string {
  return os.hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'gateway';
}
