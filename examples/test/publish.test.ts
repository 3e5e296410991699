import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const built = existsSync(path.join(root, 'packages/core/dist/index.js')) && existsSync(path.join(root, 'packages/cli/dist/main.js'));
let out: string | undefined;

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

// `npm run pack` is the way to install acgateway before its first publish; `--check` is what the
// first publish needs, with `npm publish --dry-run` of every package (README, "Installing").
describe.skipIf(!built)('packing and the first publish', () => {
  it('packs every package, and each is ready to publish: public, with provenance, one version, dist only', { timeout: 240_000 }, async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'acgw-packs-'));
    const { stdout } = await exec(process.execPath, [path.join(root, 'scripts/pack.mjs'), '--out', out, '--check'], { cwd: root, timeout: 230_000 });
    const dirs = (await readdir(path.join(root, 'packages'))).sort();
    const tarballs = (await readdir(out)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toHaveLength(dirs.length);
    for (const d of dirs) expect(tarballs.some((t) => t.startsWith(`acgateway-${d}-`)), d).toBe(true);
    expect(stdout.match(/npm publish --dry-run: would publish/g)).toHaveLength(dirs.length);
    // What goes in a tarball: the build, the README and package.json; no sources, tests or benches.
    for (const t of tarballs) {
      const { stdout: list } = await exec('tar', ['-tzf', path.join(out, t)]);
      const files = list.trim().split('\n');
      expect(files, t).toContain('package/package.json');
      expect(files, t).toContain('package/README.md');
      expect(files.some((f) => /^package\/dist\/.*\.js$/.test(f)), t).toBe(true);
      expect(files.filter((f) => /^package\/(src|test|bench)\//.test(f)), t).toEqual([]);
    }
  });
});
