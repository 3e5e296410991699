/** Health of a component, reported by /health and `acgateway plugins`. */
export interface ComponentStatus {
  /** e.g. 'running', 'connected', 'waiting', 'degraded'. */
  state: string;
  /** Why, when it is not plainly fine. */
  reason?: string;
  [key: string]: unknown;
}

/** Something that produces messages: a UDP socket, a shared-memory poller, a websocket client, a camera. */
export interface Source {
  /** Unique within the plugin. */
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  status?(): ComponentStatus;
}

/** Something that serves clients over a transport. Core ships kinds to build these (ws, socket.io, HTTP). */
export interface Endpoint {
  /** Unique within the plugin. */
  name: string;
  /** 'ws', 'socket.io', 'http' ... */
  kind: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Where clients connect; after start the real bound port is known. */
  urls(): string[];
  /** Connected clients now. */
  clients?(): number;
  status?(): ComponentStatus;
}
