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

/** Something that serves clients over a transport. Core ships the ws and HTTP kinds; others (`@acgateway/socketio`) come through `api.endpoints.of`. */
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

/** A source or endpoint with the plugin that registered it (recorded at the call, never guessed). */
export interface OwnedComponent {
  plugin: string;
  kind: 'source' | 'endpoint';
  component: Source | Endpoint;
  started: boolean;
}

/** Every source and endpoint of a host, in registration order. */
export class ComponentSet {
  readonly all: OwnedComponent[] = [];

  /** Registers one for `plugin`; a bad shape or a name taken within the plugin throws a TypeError saying so. */
  add(plugin: string, kind: 'source' | 'endpoint', component: Source | Endpoint): void {
    if (!component || typeof component.start !== 'function' || typeof component.stop !== 'function' || !component.name) {
      throw new TypeError(`a ${kind} needs a name, start() and stop()`);
    }
    if (this.all.some((c) => c.plugin === plugin && c.kind === kind && c.component.name === component.name)) {
      throw new TypeError(`two ${kind}s are named "${component.name}"`);
    }
    this.all.push({ plugin, kind, component, started: false });
  }

  /** The start order: sources, then endpoints, each in registration order. */
  startOrder(): OwnedComponent[] {
    return [...this.all.filter((c) => c.kind === 'source'), ...this.all.filter((c) => c.kind === 'endpoint')];
  }

  /** What started, in the stop order: the reverse of the start order. */
  stopOrder(): OwnedComponent[] {
    return this.startOrder().filter((c) => c.started).reverse();
  }
}
