import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Tests run against the TypeScript sources, not dist/, so a change is tested without a build.
// esbuild emits no decorator metadata: every injected constructor parameter uses an explicit @inject(token).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@acgateway\/testing$/, replacement: pkg('testing/src/index.ts') },
      { find: /^@acgateway\/core$/, replacement: pkg('core/src/index.ts') },
      { find: /^@acgateway\/socketio$/, replacement: pkg('socketio/src/index.ts') },
      { find: /^@acgateway\/atomic-file$/, replacement: pkg('atomic-file/src/index.ts') },
      { find: /^@acgateway\/cli$/, replacement: pkg('cli/src/main.ts') },
      { find: /^@acgateway\/client$/, replacement: pkg('client/src/index.ts') },
      { find: /^@acgateway\/recorder$/, replacement: pkg('recorder/src/index.ts') },
      { find: /^@acgateway\/plugin-(acudp|rf2|acws|emperor|robocar)\/fake$/, replacement: pkg('plugin-$1/src/fake/index.ts') },
      { find: /^@acgateway\/plugin-(acudp|rf2|acws|emperor|robocar|mqtt|nats)$/, replacement: pkg('plugin-$1/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
