/**
 * Dependency-injection tokens of the core services. Symbols from the global registry, so a plugin
 * that bundles its own copy of @acgateway/core still resolves the host's services.
 *
 * esbuild-based runners emit no decorator metadata: inject by token, always (`@inject(TOKENS.Bus)`).
 */
export const TOKENS = {
  /** pino Logger: the host's logger, or in a plugin's container a child logger named after the plugin. */
  Logger: Symbol.for('acgateway.Logger'),
  /** The Bus; in a plugin's container its PluginBus view (stamps the publisher). */
  Bus: Symbol.for('acgateway.Bus'),
  /** The CommandRegistry; in a plugin's container a read-only view (`list`, `get`): verbs are added with `api.addCommand`. */
  Commands: Symbol.for('acgateway.Commands'),
  /** A Clock ({ now(): number } in ms since epoch): swap it in tests. */
  Clock: Symbol.for('acgateway.Clock'),
  /** The resolved HostConfig. */
  Config: Symbol.for('acgateway.Config'),
  /** The Metrics (prom-client registry and the core's counters); in a plugin's container its PluginMetrics. */
  Metrics: Symbol.for('acgateway.Metrics'),
  /** The Dispatcher: runs a command line as the host would (auth, hooks, audit). */
  Dispatcher: Symbol.for('acgateway.Dispatcher'),
  /** The HttpServers: shared HTTP servers per host:port with routing by path. */
  HttpServers: Symbol.for('acgateway.HttpServers'),
  /** The Hooks object (tapable); in a plugin's container its PluginHooks view (tap only). */
  Hooks: Symbol.for('acgateway.Hooks'),
  /** In a plugin's container: its validated options. */
  PluginOptions: Symbol.for('acgateway.PluginOptions'),
  /** In a plugin's container: its name. */
  PluginName: Symbol.for('acgateway.PluginName'),
} as const;

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
