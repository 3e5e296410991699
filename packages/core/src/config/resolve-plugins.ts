import path from 'node:path';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, errorMessage } from '../errors.js';
import { isPluginFactory, isPluginInstance, PLUGIN_INSTANCE, type PluginDefinition, type PluginInstance } from '../plugin.js';
import type { PluginEntry } from './schema.js';

export interface ResolvedPlugin {
  instance: PluginInstance;
  /** Where it came from: a package name, or "config" for an imported factory. */
  origin: string;
  version?: string;
}

/**
 * Turns the config's plugin list into instances. Package names resolve from the config file's
 * folder, so a plugin installed beside the config works with a globally installed CLI.
 */
export async function resolvePlugins(entries: readonly PluginEntry[], fromDir: string): Promise<ResolvedPlugin[]> {
  const out: ResolvedPlugin[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const where = `plugins[${i}]`;
    if (isPluginInstance(entry)) {
      out.push({ instance: entry, origin: 'config', version: entry.definition.version });
    } else if (isPluginFactory(entry)) {
      out.push({ instance: entry(), origin: 'config', version: entry.definition.version });
    } else if (typeof entry === 'string') {
      out.push(await loadPackage(entry, undefined, fromDir, where));
    } else if (Array.isArray(entry) && typeof entry[0] === 'string' && entry.length <= 2) {
      const opts = entry[1];
      if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
        throw new ConfigError(`${where}: the options of "${entry[0]}" must be an object`);
      }
      out.push(await loadPackage(entry[0], opts, fromDir, where));
    } else {
      throw new ConfigError(`${where}: expected a plugin (an imported factory call such as acudp({...}), a package name, or [packageName, options]), got ${describe(entry)}`);
    }
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? 'an object without a plugin definition' : `${typeof v} ${JSON.stringify(v)}`;
}

async function loadPackage(name: string, options: unknown, fromDir: string, where: string): Promise<ResolvedPlugin> {
  const require = createRequire(path.join(fromDir, '__acgateway_config__.js'));
  let resolved: string;
  try {
    resolved = require.resolve(name);
  } catch (err) {
    throw new ConfigError(`${where}: plugin package "${name}" not found from ${fromDir} (${errorMessage(err).split('\n')[0]}); install it there: npm install ${name}`, { cause: err });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${where}: plugin package "${name}" failed to load: ${errorMessage(err)}`, { cause: err });
  }
  const candidate = mod.default ?? mod.plugin ?? mod;
  let instance: PluginInstance;
  if (isPluginFactory(candidate)) instance = candidate(options as never);
  else if (isPluginInstance(candidate)) instance = { ...candidate, options: options ?? candidate.options } as PluginInstance;
  else if (isDefinition(candidate)) instance = { [PLUGIN_INSTANCE]: true, definition: candidate, options } as PluginInstance;
  else throw new ConfigError(`${where}: package "${name}" does not export a plugin (its default export should be the result of definePlugin)`);
  return { instance, origin: name, version: instance.definition.version ?? packageVersion(resolved, name) };
}

function isDefinition(v: unknown): v is PluginDefinition {
  return typeof v === 'object' && v !== null && typeof (v as PluginDefinition).apply === 'function' && typeof (v as PluginDefinition).name === 'string';
}

function packageVersion(resolvedFile: string, name: string): string | undefined {
  let dir = path.dirname(resolvedFile);
  for (let i = 0; i < 8; i++) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const json = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
        if (json.name === name) return json.version;
      } catch {
        return undefined;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
