import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Message, PluginBus, PublishOptions } from './bus.js';
import type { CommandSpec } from './commands/registry.js';
import type { Endpoint, Source } from './components.js';
import type { PluginHooks } from './hooks.js';
import type { PluginMetrics } from './metrics.js';
import type { EndpointKind, WsEndpoint, WsEndpointOptions } from './endpoints/ws.js';
import type { HttpEndpoint, HttpEndpointOptions } from './endpoints/http.js';
import type { ResolvedServices, ServiceRef, ServiceRefs } from './services.js';
import type { TopicSpec } from './topic-spec.js';

/** Marks a plugin instance; a global symbol so a duplicated copy of core still recognises it. */
export const PLUGIN_INSTANCE = Symbol.for('acgateway.PluginInstance');

type AnySchema = z.ZodType;

export interface PluginDefinition<S extends AnySchema = AnySchema, D extends ServiceRefs = ServiceRefs> {
  /** Unique in a host; also the namespace of its topics and the name of its logger. */
  name: string;
  /** The core API version this plugin was written for (`API_VERSION` of @acgateway/core). */
  apiVersion: number;
  /** The plugin's own version, shown by `acgateway plugins`. */
  version?: string;
  description?: string;
  /** A zod schema with defaults: options are validated and defaulted before `apply`. */
  options?: S;
  /**
   * Services this plugin uses, by ref (`{ acudp: acudpClientRef, bus: coreServices.bus }`): they are
   * in `api.deps` under the same keys. Their providers are applied first; a missing one or a cycle
   * stops the start with both plugins named.
   */
  deps?: D;
  /** How long each of its sources and endpoints may take to start (default: the host's `startTimeoutMs`, 30 s). */
  startTimeoutMs?: number;
  /** The topics it publishes, as contracts (`defineTopic`): checked with `validateTopics`, read by docs and tools. */
  topics?: readonly TopicSpec[];
  /** Services this plugin provides to later ones (each given with `api.provide(ref, value)` in `apply`). */
  provides?: readonly ServiceRef<unknown>[];
  /** Taps the host's hooks: add sources, endpoints and verbs. May be async. */
  apply(api: PluginApi<D>, options: z.output<S>): void | Promise<void>;
}

export interface PluginInstance<S extends AnySchema = AnySchema> {
  readonly [PLUGIN_INSTANCE]: true;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly definition: PluginDefinition<S, any>;
  /** The options as given (not yet validated). */
  readonly options: unknown;
}

export interface PluginFactory<S extends AnySchema = AnySchema> {
  (options?: z.input<S>): PluginInstance<S>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly definition: PluginDefinition<S, any>;
}

/**
 * Declares a plugin. The result is a factory: `acudp({ listenPort: 12000 })` makes an instance for a
 * config; the package's default export should be this factory.
 */
export function definePlugin<S extends AnySchema, D extends ServiceRefs = Record<string, never>>(definition: PluginDefinition<S, D>): PluginFactory<S> {
  if (!definition || typeof definition.name !== 'string' || !definition.name) throw new TypeError('definePlugin: "name" must be a non-empty string');
  if (typeof definition.apply !== 'function') throw new TypeError(`definePlugin("${definition.name}"): "apply" must be a function`);
  if (!Number.isInteger(definition.apiVersion)) throw new TypeError(`definePlugin("${definition.name}"): "apiVersion" must be an integer`);
  const factory = ((options?: unknown) => ({ [PLUGIN_INSTANCE]: true as const, definition, options })) as PluginFactory<S>;
  Object.defineProperty(factory, 'definition', { value: definition });
  Object.defineProperty(factory, 'name', { value: definition.name });
  return factory;
}

export function isPluginInstance(value: unknown): value is PluginInstance {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_INSTANCE] === true;
}

export function isPluginFactory(value: unknown): value is PluginFactory {
  return typeof value === 'function' && typeof (value as { definition?: unknown }).definition === 'object';
}

/**
 * What `apply` receives: this plugin's context. What it uses beyond its logger, hooks and metrics it
 * declares in `deps` (core services by `coreServices.*`, other plugins' by their refs), resolved from
 * its child tsyringe container, where the scoped ones are its own. Sources, endpoints and verbs are
 * registered with `add*`, owned by this plugin.
 */
export interface PluginApi<D extends ServiceRefs = ServiceRefs> {
  readonly name: string;
  /** The services declared in `deps`, resolved from this plugin's container. */
  readonly deps: ResolvedServices<D>;
  /** Gives a service this plugin declared in `provides` to the plugins that depend on it. */
  provide<T>(ref: ServiceRef<T>, value: T): void;
  /** Child logger named after the plugin (also `coreServices.logger` in `deps`). */
  readonly logger: Logger;
  /** The hooks, as this plugin taps them: no `call` (also `coreServices.hooks`). */
  readonly hooks: PluginHooks;
  /** The plugin's metrics: its series carry `plugin="<name>"` (also `coreServices.metrics`). */
  readonly metrics: PluginMetrics;
  /** The config file's folder (the working folder when there is no file): resolve relative paths of options from here. */
  readonly configDir: string;
  /** Publish on the bus, stamped with this plugin's name (the bus itself, to subscribe: `deps: { bus: coreServices.bus }`). */
  publish<T>(topic: string, data: T, options?: Omit<PublishOptions, 'publisher'>): Message<T> | null;
  /** Registers a source of this plugin. */
  addSource(source: Source): void;
  /** Registers an endpoint of this plugin. */
  addEndpoint(endpoint: Endpoint): void;
  /** Registers a verb of this plugin; a verb another plugin has is refused naming both. */
  addCommand(command: CommandSpec): void;
  /**
   * Endpoint kinds with this plugin's services bound: build, then `addEndpoint`. The core's ws and
   * HTTP kinds, and `of(kind)` for a kind from another package (`of(socketIo({...}))` with
   * `@acgateway/socketio`).
   */
  readonly endpoints: {
    ws(options: WsEndpointOptions): WsEndpoint;
    http(options: HttpEndpointOptions): HttpEndpoint;
    of<E extends Endpoint>(kind: EndpointKind<E>): E;
  };
  /** Counts a piece of bad input (metric `acgateway_bad_input_total{plugin,kind}`). */
  countBadInput(kind: string): void;
  /**
   * Says the plugin's stop may take this long (e.g. a child process's stop timeout), naming the
   * options that set it. A host whose `shutdownTimeoutMs` is shorter refuses the config, so it never
   * exits halfway through a stop and leaves a process running.
   */
  requireStopTime(ms: number, why: string): void;
}
