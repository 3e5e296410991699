import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { pluginBus, type Bus } from './bus.js';
import type { CommandRegistry } from './commands/registry.js';
import type { ComponentSet } from './components.js';
import type { ResolvedConfig } from './config/schema.js';
import type { Dispatcher } from './dispatch.js';
import { createHttpEndpoint } from './endpoints/http.js';
import { createWsEndpoint, type EndpointDeps } from './endpoints/ws.js';
import { ConfigError, PluginError } from './errors.js';
import { pluginHooks, type Hooks } from './hooks.js';
import type { HttpServers } from './http/servers.js';
import { PluginMetrics, type Metrics } from './metrics.js';
import type { PluginApi, PluginDefinition } from './plugin.js';
import { resolveDeps } from './services.js';
import { TOKENS, type Clock } from './tokens.js';

/** What the host shares with every plugin's context. */
export interface HostServices {
  config: ResolvedConfig;
  configDir: string;
  logger: Logger;
  clock: Clock;
  bus: Bus;
  hooks: Hooks;
  commands: CommandRegistry;
  metrics: Metrics;
  http: HttpServers;
  dispatcher: Dispatcher;
  /** The host's container: provided services are registered here, every plugin's is a child of it. */
  container: DependencyContainer;
  components: ComponentSet;
  stopTimes: Array<{ plugin: string; ms: number; why: string }>;
}

/**
 * A plugin's context: a child container whose scoped services (logger, bus view, hooks view, metrics,
 * commands view, options, name) override the host's by token; `api.deps` holds what the plugin
 * declared, resolved from it. Registrations are owned by this plugin at the call.
 */
export function createPluginContext(host: HostServices, definition: PluginDefinition, options: unknown): { container: DependencyContainer; api: PluginApi } {
  const name = definition.name;
  const container = host.container.createChildContainer();
  const logger = host.logger.child({ plugin: name });
  const bus = pluginBus(host.bus, name);
  const hooks = pluginHooks(host.hooks, name);
  const metrics = new PluginMetrics(host.metrics, name);
  const commands = Object.freeze({ list: () => host.commands.list(), get: (verb: string) => host.commands.get(verb) });
  const scoped: Array<[symbol, unknown]> = [
    [TOKENS.PluginOptions, options], [TOKENS.PluginName, name], [TOKENS.Logger, logger], [TOKENS.Bus, bus],
    [TOKENS.Hooks, hooks], [TOKENS.Metrics, metrics], [TOKENS.Commands, commands],
  ];
  for (const [token, value] of scoped) container.register(token, { useValue: value });
  const endpointDeps: EndpointDeps = { name, http: host.http, metrics: host.metrics, logger, allowedOrigins: host.config.server.allowedOrigins };
  const provides = definition.provides ?? [];
  const registering = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      throw err instanceof PluginError ? err : new PluginError(name, what, err);
    }
  };
  const api: PluginApi = {
    name,
    deps: resolveDeps(container, definition.deps, name, (m) => new ConfigError(m)) as never,
    provide(ref, value) {
      if (!provides.some((r) => r.id === ref.id)) throw new Error(`api.provide("${ref.id}"): the plugin does not list it in "provides"`);
      if (host.container.isRegistered(ref.token)) throw new Error(`api.provide("${ref.id}"): already provided`);
      host.container.register(ref.token, { useValue: value });
    },
    logger,
    hooks,
    metrics,
    configDir: host.configDir,
    publish: (topic, data, opts) => bus.publish(topic, data, opts),
    addSource: (source) => registering('addSource', () => host.components.add(name, 'source', source)),
    addEndpoint: (endpoint) => registering('addEndpoint', () => host.components.add(name, 'endpoint', endpoint)),
    addCommand: (command) => registering('addCommand', () => void host.commands.register(name, command)),
    endpoints: {
      ws: (o) => createWsEndpoint(endpointDeps, o),
      http: (o) => createHttpEndpoint(endpointDeps, o),
      of: (kind) => kind(endpointDeps),
    },
    countBadInput: (kind) => metrics.countBadInput(kind),
    requireStopTime: (ms, why) => void host.stopTimes.push({ plugin: name, ms, why }),
  };
  return { container, api };
}
