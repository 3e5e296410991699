import { hostSchema, z, type PluginDefinition } from '@acgateway/core';

/** A plugin as the config schema lists it: the package name a JSON config names it by, and its definition. */
export interface SchemaPlugin {
  packageName: string;
  definition: Pick<PluginDefinition, 'name' | 'description' | 'options'>;
}

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

/**
 * The JSON Schema of a config (`acgateway schema`): the core's keys, and in `plugins` each given
 * plugin by package name, alone or as `[name, options]` with its options' schema, so an editor
 * completes and checks `acgateway.config.json`.
 */
export function configJsonSchema(plugins: readonly SchemaPlugin[]): Record<string, unknown> {
  const root = toJson(hostSchema);
  const entries: unknown[] = [];
  const known = plugins.length ? { not: { enum: plugins.map((p) => p.packageName) } } : {};
  for (const p of plugins) {
    const options = p.definition.options ? toJson(p.definition.options) : { type: 'object' };
    delete options.$schema;
    const description = `${p.definition.name}${p.definition.description ? `: ${p.definition.description}` : ''}`;
    entries.push({ const: p.packageName, description });
    entries.push({ type: 'array', description, prefixItems: [{ const: p.packageName }, options], minItems: 1, maxItems: 2 });
  }
  // A plugin not installed where the schema was made is still allowed by name (a known one must match its own entry).
  entries.push({ type: 'string', description: 'a plugin package name', ...known }, { type: 'array', prefixItems: [{ type: 'string', ...known }, { type: 'object' }], minItems: 1, maxItems: 2 });
  const properties = root.properties as Record<string, unknown>;
  properties.plugins = { type: 'array', description: 'The plugins: a package name, or [packageName, options]', items: { anyOf: entries } };
  properties.$schema = { type: 'string', description: 'The JSON Schema of this file (acgateway schema)' };
  return { ...root, title: 'acgateway config' };
}
