import type { ConnectionState } from './client/connection.js';
import type { Driver, Session, SessionType, TrackInfo, TrackMap } from './wire/types.js';

/** `emperor/<server>/state` (retained). */
export interface StatePayload {
  server: string;
  url: string;
  connection: { state: ConnectionState; since: number; attempts: number; lastError: string | null; nextRetryAt: number | null };
  hasSnapshot: boolean;
  snapshotAt: number | null;
  session: Session | null;
  track: TrackInfo | null;
  trackMap: TrackMap | null;
  sessionStartedAt: number | null;
  sessionEndsAt: number | null;
  lapsRemaining: number | null;
  realtimeIntervalMs: number | null;
  bestLapMs: number | null;
  protocolVersion: number | null;
  drivers: { connected: number; disconnected: number };
  team: number | null;
}

/** `emperor/<server>/drivers` and the reply of `emperor drivers`. */
export interface DriversPayload {
  server: string;
  session: { name: string; type: SessionType; track: string; trackConfig: string } | null;
  connected: Driver[];
  disconnected: Driver[];
}

/** `emperor/<server>/team` and the reply of `emperor team`. */
export interface TeamPayload {
  server: string;
  rule: { tag: string | null; teamName: string | null };
  connected: Driver[];
  disconnected: Driver[];
}

/** One entry of `emperor status`. */
export interface ServerStatus extends StatePayload {
  connects: number;
  lastReceivedAt: number | null;
  frames: number;
  snapshots: number;
  badInput: Record<string, number>;
  ignoredCarUpdates: number;
}
