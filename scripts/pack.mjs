#!/usr/bin/env node
// Packs every publishable package (packages/*) into one folder, the way to install acgateway before
// its first publish: `npm run pack`, then `npm install <folder>/*.tgz` in a project of your own.
//
//   node scripts/pack.mjs [--out DIR] [--check]
//
// --out    where the tarballs go (default packs/, git-ignored)
// --check  also what a publish needs, package by package: publishConfig (public access,
//          provenance), files, license, engines, the same version everywhere, a built dist/, and
//          `npm publish --dry-run` accepting it. Exit code 1 names every problem.
// Run `npm run build` first (`npm run pack` does).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = path.resolve(outAt >= 0 ? args[outAt + 1] ?? '' : path.join(root, 'packs'));
const check = args.includes('--check');
if (outAt >= 0 && !args[outAt + 1]) {
  console.error('usage: node scripts/pack.mjs [--out DIR] [--check]');
  process.exit(2);
}

/** The publishable packages: packages/* that are not private. */
function publishable() {
  const dir = path.join(root, 'packages');
  return readdirSync(dir)
    .filter((d) => existsSync(path.join(dir, d, 'package.json')))
    .map((d) => ({ dir: path.join(dir, d), pkg: JSON.parse(readFileSync(path.join(dir, d, 'package.json'), 'utf8')) }))
    .filter((p) => !p.pkg.private)
    .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
}

/** What a publish of this package would lack; empty when it is ready. */
function problemsOf({ dir, pkg }, version) {
  const p = [];
  if (pkg.version !== version) p.push(`version ${pkg.version}, the others ${version} (changesets keeps them together)`);
  if (pkg.publishConfig?.access !== 'public') p.push('publishConfig.access is not "public" (a scoped package would publish as restricted)');
  if (pkg.publishConfig?.provenance !== true) p.push('publishConfig.provenance is not true');
  if (!Array.isArray(pkg.files) || !pkg.files.includes('dist')) p.push('"files" does not list dist');
  if (!pkg.license) p.push('no license');
  if (!pkg.engines?.node) p.push('no engines.node');
  if (!existsSync(path.join(dir, 'dist'))) p.push('no dist/: run npm run build');
  for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    if (name.startsWith('@acgateway/') && !String(range).startsWith('^')) p.push(`depends on ${name} "${range}": use a caret range`);
  }
  return p;
}

async function main() {
  const packages = publishable();
  const version = packages.find((p) => p.pkg.name === '@acgateway/core')?.pkg.version ?? packages[0].pkg.version;
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const problems = [];
  console.log(`packing ${packages.length} packages into ${path.relative(process.cwd(), out) || out}`);
  for (const p of packages) {
    const { stdout } = await exec(npm, ['pack', '--pack-destination', out, '--ignore-scripts', '--json'], { cwd: p.dir });
    const [info] = JSON.parse(stdout);
    console.log(`  ${info.filename}  ${(statSync(path.join(out, info.filename)).size / 1024).toFixed(0)} KB, ${info.entryCount} files`);
    if (check) {
      for (const problem of problemsOf(p, version)) problems.push(`${p.pkg.name}: ${problem}`);
      try {
        const r = await exec(npm, ['publish', '--dry-run', '--ignore-scripts'], { cwd: p.dir, timeout: 120_000 });
        const said = `${r.stdout}\n${r.stderr}`;
        if (!said.includes(`+ ${p.pkg.name}@${p.pkg.version}`)) problems.push(`${p.pkg.name}: npm publish --dry-run did not say it would publish: ${said.trim().split('\n').slice(-3).join(' | ')}`);
        else console.log(`    npm publish --dry-run: would publish ${p.pkg.name}@${p.pkg.version}, public, with provenance`);
      } catch (err) {
        problems.push(`${p.pkg.name}: npm publish --dry-run failed: ${String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`);
      }
    }
  }
  if (check) {
    const noRepo = packages.filter((p) => !p.pkg.repository).map((p) => p.pkg.name);
    // Not a failure: provenance is generated in CI at publish time, where the repository's URL is known.
    if (noRepo.length) console.log(`note: provenance needs "repository" (its URL, with "directory") in every package.json before the first publish; not set yet in ${noRepo.length} of ${packages.length}`);
  }
  console.log(`install them in a project of your own:\n  npm install ${path.join(path.relative(process.cwd(), out) || out, '*.tgz')}`);
  if (problems.length) {
    console.error(`not ready to publish:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    process.exit(1);
  }
}

await main();
