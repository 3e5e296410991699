import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@acgateway/testing';

// The CLI is tested as users run it: the built bin in a child process (npm run build comes first).
const bin = path.resolve(fileURLToPath(import.meta.url), '../../bin/acgateway.js');
const built = existsSync(path.resolve(bin, '../../dist/main.js'));
let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-cli-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], opts: { cwd?: string } = {}) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd ?? dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  const waitOut = (re: RegExp, ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const t = setInterval(() => {
        if (re.test(out)) { clearInterval(t); clearTimeout(to); resolve(out); }
      }, 20);
      const to = setTimeout(() => { clearInterval(t); reject(new Error(`no ${re} in output within ${ms} ms; stdout: ${out}\nstderr: ${err}`)); }, ms);
    });
  return { child, done, waitOut };
}


describe.skipIf(!built)('acgateway CLI (built bin)', () => {
  it('prints --version and --help; unknown commands and flags exit 2', async () => {
    const pkg = JSON.parse(await readFile(path.resolve(bin, '../../package.json'), 'utf8'));
    const v = await run(['--version']).done;
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(pkg.version);
    const h = await run(['--help']).done;
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/acgateway start/);
    const bad = await run(['launch']).done;
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "launch"/);
    const flag = await run(['start', '--nope']).done;
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/Unknown argument: nope/);
  });

  it('has --help per command, and shell completion from the same table', async () => {
    for (const args of [['exec', '--help'], ['help', 'exec']]) {
      const h = await run(args).done;
      expect(h.code).toBe(0);
      expect(h.out).toMatch(/^acgateway exec <line\.\.>/);
      expect(h.out).toMatch(/--timeout +ms to wait for the reply/);
    }
    // "help" as the command line of exec is a verb for the host, not a help request.
    const viaExec = await run(['exec', 'help', '--url', 'ws://127.0.0.1:9/', '--timeout', '500']).done;
    expect(viaExec.code).toBe(1);
    expect(viaExec.err).toMatch(/cannot reach ws:\/\/127\.0\.0\.1:9\//);
    const bash = await run(['completion']).done;
    expect(bash.code).toBe(0);
    expect(bash.out).toMatch(/###-begin-acgateway-completions-###/);
    expect(bash.out).toContain('--get-yargs-completions');
    // What the script asks the CLI when TAB is pressed: the commands, then a command's options.
    const words = (await run(['--get-yargs-completions', 'acgateway', '']).done).out.split('\n');
    expect(words).toEqual(expect.arrayContaining(['start', 'plugins', 'exec', 'init', 'completion']));
    const opts = (await run(['--get-yargs-completions', 'acgateway', 'start', '--']).done).out.split('\n');
    expect(opts).toEqual(expect.arrayContaining(['--config', '--log-level']));
    // Each shell by name, whatever $SHELL says; PowerShell gets a native completer asking the same question.
    expect((await run(['completion', 'bash']).done).out).toMatch(/###-begin-acgateway-completions-###/);
    expect((await run(['completion', 'zsh']).done).out).toMatch(/^#compdef acgateway/m);
    const ps = await run(['completion', 'powershell']).done;
    expect(ps.code).toBe(0);
    expect(ps.out).toMatch(/^Register-ArgumentCompleter -Native -CommandName acgateway, acgateway\.cmd -ScriptBlock \{/m);
    expect(ps.out).toContain('& acgateway --get-yargs-completions @words');
    // What it asks after "acgateway exec " (the words typed, then an empty current word).
    const execOpts = (await run(['--get-yargs-completions', 'acgateway', 'exec', '']).done).out.split('\n');
    expect(execOpts).toEqual(expect.arrayContaining(['--url', '--token', '--timeout']));
    const fish = await run(['completion', 'fish']).done;
    expect(fish.code).toBe(2);
    expect(fish.err).toMatch(/unknown shell "fish": expected bash, zsh or powershell/);
  });

  it('exits 2 naming the file for a config with a syntax error, and for invalid options', async () => {
    await writeFile(path.join(dir, 'acgateway.config.ts'), 'export default { server: { port: 1 ;');
    const r = await run(['start']).done;
    expect(r.code).toBe(2);
    expect(r.err).toContain('acgateway.config.ts');
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ server: { port: 'x' } }));
    const r2 = await run(['start', '--config', 'bad.json']).done;
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/server\.port/);
    const r3 = await run(['start', '--log-level', 'loud', '--config', 'bad.json']).done;
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/--log-level must be one of/);
  });

  it('starts, lists plugins, runs commands with exec, and stops on SIGINT', async () => {
    const port = await freePort();
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ server: { port }, log: { level: 'warn' } }));
    const listed = await run(['plugins']).done;
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/core 0\.\d+\.\d+/);
    expect(listed.out).toContain(`ws://127.0.0.1:${port}/`);
    expect(listed.out).toMatch(/verbs: +help/);

    const host = run(['start']);
    await host.waitOut(/acgateway is running/);
    const url = `ws://127.0.0.1:${port}/`;
    const ok = await run(['exec', 'help', '--url', url]).done;
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)[0]).toMatchObject({ verb: 'help', plugin: 'core' });
    // Piped (a script): JSON, as above. --table (what a terminal gets): a table; help <verb>: one in detail.
    const table = await run(['exec', 'help', '--url', url, '--table']).done;
    expect(table.out.split('\n')[0]).toMatch(/^VERB +PLUGIN +ACCESS +SUMMARY$/);
    expect(table.out).toMatch(/^help +core +read +Lists every verb/m);
    expect(table.out).toMatch(/\d+ verbs; "help <verb>" for one in detail, --json for scripts/);
    const one = await run(['exec', 'help help', '--url', url, '--table']).done;
    expect(one.out).toMatch(/^usage: help \[verb\.\.\.\]|^usage: help/m);
    expect(one.out).toContain('plugin: core   access: read');
    expect(JSON.parse((await run(['exec', 'help', '--url', url, '--table', '--json']).done).out)[0]).toMatchObject({ verb: 'help' });
    const bad = await run(['exec', 'hepl', '--url', url]).done;
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error.code).toBe('UNKNOWN_VERB');
    host.child.kill('SIGINT');
    const end = await host.done;
    expect(end.code).toBe(0);
    const gone = await run(['exec', 'help', '--url', url, '--timeout', '2000']).done;
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/cannot reach/);
  });

  it('logs a plugin\'s unhandled promise rejection and keeps running', async () => {
    const port = await freePort();
    const pluginDir = path.join(dir, 'node_modules', 'sloppy-plugin');
    await import('node:fs/promises').then((fs) => fs.mkdir(pluginDir, { recursive: true }));
    await writeFile(path.join(pluginDir, 'package.json'), JSON.stringify({ name: 'sloppy-plugin', version: '0.0.1', type: 'module', main: 'index.js' }));
    await writeFile(path.join(pluginDir, 'index.js'), `export default { name: 'sloppy', apiVersion: 4, apply(api) { api.addSource({ name: 's', start() { setTimeout(() => Promise.reject(new Error('forgot to catch')), 50); }, stop() {} }); } };`);
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ server: { port }, plugins: ['sloppy-plugin'] }));
    const host = run(['start']);
    await host.waitOut(/forgot to catch/);
    // stdout is a pipe, not a TTY: logs are JSON lines (the banner is the only other text)
    const logLine = (await host.waitOut(/forgot to catch/)).split('\n').find((l) => l.includes('forgot to catch'))!;
    expect(JSON.parse(logLine)).toMatchObject({ level: 50, msg: expect.stringContaining('unhandled promise rejection') });
    const ok = await run(['exec', 'help', '--url', `ws://127.0.0.1:${port}/`]).done;
    expect(ok.code).toBe(0);
    host.child.kill('SIGINT');
    expect((await host.done).code).toBe(0);
  });

  it('an invalid log.level is a config error naming the key (exit 2), not a logger crash', async () => {
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ log: { level: 'loud' }, plugins: [] }));
    const end = await run(['start']).done;
    expect(end.code).toBe(2);
    expect(end.err).toMatch(/log\.level: .*"fatal".*"silent"|log\.level: Invalid option/);
    expect(end.err).not.toMatch(/unknown level/);
  });

  it('a second signal forces the exit when a stop hangs', async () => {
    const port = await freePort();
    const pluginDir = path.join(dir, 'node_modules', 'hang-plugin');
    await import('node:fs/promises').then((fs) => fs.mkdir(pluginDir, { recursive: true }));
    await writeFile(path.join(pluginDir, 'package.json'), JSON.stringify({ name: 'hang-plugin', version: '0.0.1', type: 'module', main: 'index.js' }));
    // no import of core: a plugin is recognised by its shape too
    await writeFile(path.join(pluginDir, 'index.js'), `export default { name: 'hang', apiVersion: 4, apply(api) { api.addSource({ name: 's', start() {}, stop() { return new Promise(() => { setInterval(() => {}, 1000); }); } }); } };`);
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ server: { port }, log: { level: 'info' }, shutdownTimeoutMs: 60000, plugins: ['hang-plugin'] }));
    const host = run(['start']);
    await host.waitOut(/acgateway is running/);
    host.child.kill('SIGINT');
    await host.waitOut(/SIGINT: stopping/);
    host.child.kill('SIGINT');
    const end = await host.done;
    expect(end.code).toBe(130);
  });

  it('exits 1 when a stop exceeds shutdownTimeoutMs', async () => {
    const port = await freePort();
    const pluginDir = path.join(dir, 'node_modules', 'hang-plugin');
    await import('node:fs/promises').then((fs) => fs.mkdir(pluginDir, { recursive: true }));
    await writeFile(path.join(pluginDir, 'package.json'), JSON.stringify({ name: 'hang-plugin', version: '0.0.1', type: 'module', main: 'index.js' }));
    await writeFile(path.join(pluginDir, 'index.js'), `export default { name: 'hang', apiVersion: 4, apply(api) { api.addSource({ name: 's', start() {}, stop() { return new Promise(() => { setInterval(() => {}, 1000); }); } }); } };`);
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ server: { port }, shutdownTimeoutMs: 300, plugins: ['hang-plugin'] }));
    const host = run(['start']);
    await host.waitOut(/acgateway is running/);
    host.child.kill('SIGTERM');
    const end = await host.done;
    expect(end.code).toBe(1);
    expect(end.out + end.err).toMatch(/did not finish within shutdownTimeoutMs/);
  });

  it('init writes a starter config, refuses to overwrite, and keeps a backup with --force', async () => {
    const first = await run(['init']).done;
    expect(first.code).toBe(0);
    const file = path.join(dir, 'acgateway.config.ts');
    expect(await readFile(file, 'utf8')).toContain('defineConfig');
    const again = await run(['init']).done;
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists/);
    await writeFile(file, '// mine\nexport default {};\n');
    const forced = await run(['init', '--force']).done;
    expect(forced.code).toBe(0);
    const backups = (await readdir(dir)).filter((f) => f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    expect(await readFile(path.join(dir, backups[0]!), 'utf8')).toContain('// mine');
  });
});

if (!built) console.warn('acgateway CLI tests skipped: run "npm run build" first (packages/core/dist is missing)');
