import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, isPluginFactory } from '@acgateway/core';
import { configJsonSchema, type SchemaPlugin } from './config-schema.js';

/** Package names under the node_modules folders from `dir` upwards (the nearest copy of each). */
function installedPackages(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const nm = path.join(d, 'node_modules');
    if (existsSync(nm)) {
      for (const entry of readdirSync(nm)) {
        if (entry.startsWith('.')) continue;
        const names = entry.startsWith('@') ? readdirSync(path.join(nm, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of names) if (!found.has(name)) found.set(name, path.join(nm, name));
      }
    }
    if (path.dirname(d) === d) return found;
  }
}

/**
 * The acgateway plugins installed where the config lives: packages with the keyword
 * `acgateway-plugin` whose default export is a plugin. One that cannot be loaded is reported, not fatal.
 */
export async function installedPlugins(dir: string, warn: (s: string) => void): Promise<SchemaPlugin[]> {
  const require = createRequire(path.join(path.resolve(dir), 'acgateway.config.js'));
  const out: SchemaPlugin[] = [];
  for (const [name, where] of installedPackages(dir)) {
    let keywords: unknown;
    try {
      keywords = (JSON.parse(readFileSync(path.join(where, 'package.json'), 'utf8')) as { keywords?: unknown }).keywords;
    } catch {
      continue;
    }
    if (!Array.isArray(keywords) || !keywords.includes('acgateway-plugin')) continue;
    try {
      const mod = (await import(pathToFileURL(require.resolve(name)).href)) as { default?: unknown };
      if (isPluginFactory(mod.default)) out.push({ packageName: name, definition: mod.default.definition });
      else warn(`acgateway: ${name} says it is an acgateway plugin but its default export is not one: left out of the schema`);
    } catch (err) {
      warn(`acgateway: ${name} could not be loaded (${errorMessage(err)}): left out of the schema`);
    }
  }
  return out.sort((a, b) => a.packageName.localeCompare(b.packageName));
}

/** `acgateway schema`: the config's JSON Schema, with every plugin installed beside it. */
export async function runSchema(options: { dir: string }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const plugins = await installedPlugins(options.dir, io.err);
  io.out(JSON.stringify(configJsonSchema(plugins), null, 2));
  io.err(`acgateway: schema with ${plugins.length} plugin${plugins.length === 1 ? '' : 's'}: ${plugins.map((p) => p.packageName).join(', ') || 'none installed'}`);
  return 0;
}
