import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { PluginBus } from './bus.js';
import type { CommandRegistry } from './commands/registry.js';
import type { ResolvedConfig } from './config/schema.js';
import type { Dispatcher } from './dispatch.js';
import type { PluginHooks } from './hooks.js';
import type { HttpServers } from './http/servers.js';
import type { PluginMetrics } from './metrics.js';
import { TOKENS, type Clock } from './tokens.js';

/**
 * A typed reference to a service one plugin provides and others use (Backstage's service refs):
 * `export const acudpClientRef = createServiceRef<AcUdpClient>('acudp.client')`. A plugin that
 * provides it lists it in `provides` and calls `api.provide(ref, value)` in `apply`; a plugin that
 * uses it lists it in `deps` and finds it in `api.deps`. The host applies providers first and
 * refuses a missing provider or a cycle before anything starts.
 */
export interface ServiceRef<T> {
  /** `<plugin>.<service>`, unique in a host; in messages. */
  readonly id: string;
  /** The tsyringe token it is registered under (a global symbol, so two copies of a package agree). */
  readonly token: symbol;
  /** Type carrier only; never set. */
  readonly T?: T;
}

export function createServiceRef<T>(id: string): ServiceRef<T> {
  if (!/^[a-z0-9][\w-]*(\.[\w-]+)+$/i.test(id)) throw new TypeError(`createServiceRef: "${id}" must look like "<plugin>.<service>"`);
  return Object.freeze({ id, token: Symbol.for(`acgateway.service.${id}`) });
}

/** What a plugin sees of the verbs: it adds its own with `api.addCommand`. */
export type CommandsView = Pick<CommandRegistry, 'list' | 'get'>;

/**
 * The core's services, in every plugin's container. The scoped ones are the plugin's own: `logger`
 * named after it, `bus` stamping what it publishes, `hooks` that it can tap but not call, `metrics`
 * labelled with it, `commands` read-only.
 */
export const coreServices = {
  logger: { id: 'core.logger', token: TOKENS.Logger } as ServiceRef<Logger>,
  bus: { id: 'core.bus', token: TOKENS.Bus } as ServiceRef<PluginBus>,
  hooks: { id: 'core.hooks', token: TOKENS.Hooks } as ServiceRef<PluginHooks>,
  commands: { id: 'core.commands', token: TOKENS.Commands } as ServiceRef<CommandsView>,
  dispatcher: { id: 'core.dispatcher', token: TOKENS.Dispatcher } as ServiceRef<Dispatcher>,
  metrics: { id: 'core.metrics', token: TOKENS.Metrics } as ServiceRef<PluginMetrics>,
  clock: { id: 'core.clock', token: TOKENS.Clock } as ServiceRef<Clock>,
  http: { id: 'core.http', token: TOKENS.HttpServers } as ServiceRef<HttpServers>,
  config: { id: 'core.config', token: TOKENS.Config } as ServiceRef<ResolvedConfig>,
} as const;

const CORE_IDS = new Set(Object.values(coreServices).map((r) => r.id));

export type ServiceRefs = Record<string, ServiceRef<unknown>>;

/** `{ acudp: acudpClientRef }` -> `{ acudp: AcUdpClient }`. */
export type ResolvedServices<D extends ServiceRefs | undefined> = D extends ServiceRefs ? { readonly [K in keyof D]: D[K] extends ServiceRef<infer T> ? T : never } : Record<string, never>;

/** What the host orders plugins by. */
export interface PluginNode {
  name: string;
  deps: readonly ServiceRef<unknown>[];
  provides: readonly ServiceRef<unknown>[];
}

/**
 * Plugins in an order where every provider comes before its users, otherwise as listed. Throws
 * naming both plugins for a service nobody provides, two providers of one service, or a cycle.
 */
export function orderByServices(nodes: readonly PluginNode[], problem: (message: string) => Error): PluginNode[] {
  const providerOf = new Map<string, string>();
  for (const n of nodes) {
    for (const ref of n.provides) {
      if (CORE_IDS.has(ref.id)) throw problem(`plugin "${n.name}" says it provides "${ref.id}", a core service`);
      const other = providerOf.get(ref.id);
      if (other) throw problem(`plugins "${other}" and "${n.name}" both provide service "${ref.id}": list only one of them`);
      providerOf.set(ref.id, n.name);
    }
  }
  const needs = new Map<string, string[]>();
  for (const n of nodes) {
    const providers: string[] = [];
    for (const ref of n.deps) {
      if (CORE_IDS.has(ref.id)) continue;
      const provider = providerOf.get(ref.id);
      if (!provider) throw problem(`plugin "${n.name}" needs service "${ref.id}", which no listed plugin provides: add the plugin "${ref.id.split('.')[0]}" to the config`);
      if (provider !== n.name) providers.push(provider);
    }
    needs.set(n.name, providers);
  }
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const ordered: PluginNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw problem(`plugins depend on each other in a cycle: ${cycle.map((p) => `"${p}"`).join(' -> ')}; one of them must not need the other's service`);
    }
    state.set(name, 'visiting');
    for (const p of needs.get(name) ?? []) visit(p, [...path, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name)!);
  };
  for (const n of nodes) visit(n.name, []);
  return ordered;
}

/** Resolves a plugin's declared deps from its container; a missing registration names the service. */
export function resolveDeps(container: DependencyContainer, deps: ServiceRefs | undefined, plugin: string, problem: (message: string) => Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, ref] of Object.entries(deps ?? {})) {
    if (!container.isRegistered(ref.token, true)) throw problem(`plugin "${plugin}" needs service "${ref.id}", but its provider did not provide it`);
    out[key] = container.resolve(ref.token);
  }
  return Object.freeze(out);
}
