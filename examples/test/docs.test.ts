import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ESM script without types
import { docs } from '../../scripts/docs.mjs';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');

describe('docs/topics.md and docs/commands.md', () => {
  it('are up to date with the plugin READMEs (npm run docs)', () => {
    for (const [rel, text] of Object.entries(docs() as Record<string, string>)) {
      expect(readFileSync(path.join(root, rel), 'utf8'), `${rel} is stale: run npm run docs`).toBe(text);
    }
  });

  it('have a Topics and a Commands section from the core and every first-party plugin', () => {
    for (const rel of ['docs/topics.md', 'docs/commands.md']) {
      expect(readFileSync(path.join(root, rel), 'utf8')).not.toContain('README has no');
    }
  });
});
