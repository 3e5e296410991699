import path from 'node:path';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '@acgateway/atomic-file';
import { configJsonSchema } from './config-schema.js';
import { installedPlugins } from './schema.js';

export const STARTER_CONFIG = `import { defineConfig } from '@acgateway/core';
// Plugins are npm packages: npm install @acgateway/plugin-acudp (and so on), then list them here,
// as an imported factory call, a package name, or [packageName, options].
// import acudp from '@acgateway/plugin-acudp';

export default defineConfig({
  // The built-in gateway websocket (ws://127.0.0.1:8090/), /health and /metrics.
  server: { host: '127.0.0.1', port: 8090 },
  log: { level: 'info' },
  shutdownTimeoutMs: 10000,
  plugins: [
    // acudp({ listenPort: 12000, serverHost: '127.0.0.1', serverPort: 11000 }),
    // ['@acgateway/plugin-rf2', { pollHz: 50 }],
  ],
});
`;

/** The JSON starter: the same defaults, and `$schema` for the editor (written beside it by init). */
export const STARTER_JSON = {
  $schema: './acgateway.schema.json',
  server: { host: '127.0.0.1', port: 8090 },
  log: { level: 'info' },
  shutdownTimeoutMs: 10000,
  plugins: [] as unknown[],
};

/**
 * `acgateway init`: writes a starter config (`acgateway.config.ts`, or with --json
 * `acgateway.config.json` plus `acgateway.schema.json` for its `$schema`); an existing config is kept
 * unless --force (then backed up).
 */
export async function runInit(options: { dir: string; force: boolean; json?: boolean }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const dir = path.resolve(options.dir);
  const file = path.join(dir, options.json ? 'acgateway.config.json' : 'acgateway.config.ts');
  if (existsSync(file) && !options.force) {
    io.err(`acgateway: ${file} already exists; use --force to replace it (a backup is kept)`);
    return 2;
  }
  if (options.json) {
    const plugins = await installedPlugins(dir, io.err);
    const schemaFile = path.join(dir, 'acgateway.schema.json');
    await writeFileAtomic(schemaFile, `${JSON.stringify(configJsonSchema(plugins), null, 2)}\n`);
    io.out(`wrote ${schemaFile} (${plugins.length} installed plugin${plugins.length === 1 ? '' : 's'}; "acgateway schema > acgateway.schema.json" after installing more)`);
  }
  const backup = await writeFileAtomic(file, options.json ? `${JSON.stringify(STARTER_JSON, null, 2)}\n` : STARTER_CONFIG);
  io.out(`wrote ${file}${backup ? ` (previous one kept as ${backup})` : ''}`);
  io.out('next: install @acgateway/core and the plugins you want (before the first publish: `npm run pack` in the acgateway repository, then npm install <it>/packs/*.tgz), edit the config, then run: npx acgateway start');
  return 0;
}
