import path from 'node:path';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '@acgateway/core';

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

/** `acgateway init`: writes a starter config; an existing one is kept unless --force (then backed up). */
export async function runInit(options: { dir: string; force: boolean }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const file = path.join(path.resolve(options.dir), 'acgateway.config.ts');
  if (existsSync(file) && !options.force) {
    io.err(`acgateway: ${file} already exists; use --force to replace it (a backup is kept)`);
    return 2;
  }
  const backup = await writeFileAtomic(file, STARTER_CONFIG);
  io.out(`wrote ${file}${backup ? ` (previous one kept as ${backup})` : ''}`);
  io.out('next: npm install @acgateway/core and the plugins you want, edit the config, then run: npx acgateway start');
  return 0;
}
