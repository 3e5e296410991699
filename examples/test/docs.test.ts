import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';

// The generated docs come from the built packages' topic declarations and the package READMEs;
// the check runs the script as CI does (npm run build first).
const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const built = existsSync(path.join(root, 'packages/cli/dist/asyncapi-document.js')) && existsSync(path.join(root, 'packages/plugin-emperor/dist/index.js'));
if (!built) console.warn('docs test skipped: run "npm run build" first (dist/ is missing)');
const run = promisify(execFile);

describe.skipIf(!built)('docs/topics.md, docs/commands.md and docs/asyncapi.yaml', () => {
  it('are up to date with the topic declarations and the package READMEs (npm run docs -- --check)', { timeout: 60_000 }, async () => {
    const r = await run(process.execPath, [path.join(root, 'scripts/docs.mjs'), '--check']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('list every first-party plugin\'s declared topics, and no package lacks its sections', () => {
    const topics = readFileSync(path.join(root, 'docs/topics.md'), 'utf8');
    for (const pattern of ['core/status', 'acudp/lap_completed', 'rf2/telemetry', 'emperor/+/drivers', 'emperor/+/event/car_update', 'robocar/status', 'mqtt/#', '+/#']) {
      expect(topics, pattern).toMatch(new RegExp(`^\\| \`${pattern.replace(/[+/#]/g, (c) => `\\${c}`)}\` \\| (yes|no) \\|`, 'm'));
    }
    expect(readFileSync(path.join(root, 'docs/commands.md'), 'utf8')).not.toContain('README has no');
  });

  it('asyncapi.yaml is AsyncAPI 3.0 that the official parser takes, with every declared topic', { timeout: 60_000 }, async () => {
    const text = readFileSync(path.join(root, 'docs/asyncapi.yaml'), 'utf8');
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    const names = document!.components().messages().all().map((m) => m.name());
    expect(names).toEqual(expect.arrayContaining(['core/status', 'emperor/+/team', 'rf2/status', 'acudp/car_update', '+/#']));
  });
});
