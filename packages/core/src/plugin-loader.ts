import type { ResolvedPlugin } from './config/resolve-plugins.js';
import { formatIssues } from './config/schema.js';
import { ConfigError, PluginError } from './errors.js';
import type { PluginDefinition } from './plugin.js';
import { createPluginContext, type HostServices } from './plugin-api.js';
import { orderByServices } from './services.js';
import { API_VERSION, CORE_VERSION } from './version.js';

export type PluginState = 'registered' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface LoadedPlugin {
  name: string;
  version?: string;
  origin: string;
  definition: PluginDefinition;
  options: unknown;
  state: PluginState;
  error?: string;
}

/**
 * Checks the plugins (unique names, the API version they were built for), orders them so that
 * providers of services come before their users (otherwise as listed, the built-in first), and
 * applies each: options validated and defaulted, a context of its own, its declared services
 * provided. Throws ConfigError or PluginError naming the plugin.
 */
export async function applyPlugins(host: HostServices, resolved: readonly ResolvedPlugin[]): Promise<LoadedPlugin[]> {
  const names = new Set<string>();
  for (const r of resolved) {
    const def = r.instance.definition;
    if (names.has(def.name)) throw new ConfigError(`two plugins are named "${def.name}"${def.name === 'core' ? ' (the name "core" is reserved)' : ''}: each plugin may be listed once`);
    names.add(def.name);
    if (def.apiVersion !== API_VERSION) {
      throw new ConfigError(`plugin "${def.name}"${r.version ? ` ${r.version}` : ''} was built for core API version ${def.apiVersion}, but this host (@acgateway/core ${CORE_VERSION}) provides API version ${API_VERSION}`);
    }
  }
  const byName = new Map(resolved.map((r) => [r.instance.definition.name, r]));
  const order = orderByServices(
    resolved.map((r) => ({ name: r.instance.definition.name, deps: Object.values(r.instance.definition.deps ?? {}), provides: r.instance.definition.provides ?? [] })),
    (message) => new ConfigError(message),
  );
  const loaded: LoadedPlugin[] = [];
  for (const node of order) loaded.push(await applyOne(host, byName.get(node.name)!));
  return loaded;
}

async function applyOne(host: HostServices, r: ResolvedPlugin): Promise<LoadedPlugin> {
  const def = r.instance.definition;
  let options: unknown = r.instance.options ?? {};
  if (def.options) {
    const parsed = def.options.safeParse(options ?? {});
    if (!parsed.success) throw new ConfigError(`plugin "${def.name}": invalid options: ${formatIssues(parsed.error, def.name)}`);
    options = parsed.data;
  }
  try {
    const { api } = createPluginContext(host, def, options);
    await def.apply(api, options);
    const missing = (def.provides ?? []).filter((ref) => !host.container.isRegistered(ref.token));
    if (missing.length) throw new Error(`it says it provides ${missing.map((m) => `"${m.id}"`).join(', ')} but its apply did not call api.provide for ${missing.length > 1 ? 'them' : 'it'}`);
    return { name: def.name, version: r.version, origin: r.origin, definition: def, options, state: 'registered' };
  } catch (err) {
    throw err instanceof PluginError ? err : new PluginError(def.name, 'apply', err);
  }
}
