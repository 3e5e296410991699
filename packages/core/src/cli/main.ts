import { parseArgs } from 'node:util';
import { ConfigError, errorMessage, PluginError } from '../errors.js';
import { CORE_VERSION } from '../version.js';
import { runStart } from './start.js';
import { runPlugins } from './plugins.js';
import { runExec } from './exec.js';
import { runInit } from './init.js';

export const HELP = `acgateway ${CORE_VERSION}: live data out of racing simulators and race servers

Usage:
  acgateway start   [--config FILE] [--log-level LEVEL]   run the host
  acgateway plugins [--config FILE] [--json]              list plugins, sources, endpoints, verbs
  acgateway exec "<command line>" [--url URL] [--token T] [--timeout MS] [--json | --table]
                                                          run a command on a running host, print the reply
                                                          (JSON; "help" as a table on a terminal)
  acgateway init    [--force] [--dir DIR]                 write a starter acgateway.config.ts
  acgateway --help | --version

The config is found from the working folder upwards (acgateway.config.ts/.mts/.js/.mjs/.cjs/.json,
.acgatewayrc*, package.json#acgateway) unless --config names it.
exec connects to ws://127.0.0.1:8090/ by default (ACGATEWAY_URL and ACGATEWAY_TOKEN override).

Exit codes: 0 ok, 1 runtime error or error reply, 2 bad config or usage.`;

export class UsageError extends Error {}

/** Runs the CLI; resolves to the exit code (`start` resolves when the host has stopped). */
export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string', short: 'l' },
        json: { type: 'boolean' },
        table: { type: 'boolean' },
        url: { type: 'string' },
        token: { type: 'string' },
        timeout: { type: 'string' },
        force: { type: 'boolean' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    if (values.version) {
      io.out(CORE_VERSION);
      return 0;
    }
    const [verb, ...rest] = positionals;
    if (values.help || !verb || verb === 'help') {
      io.out(HELP);
      return verb || values.help ? 0 : 2;
    }
    switch (verb) {
      case 'start':
        if (rest.length) throw new UsageError(`start takes no arguments, got "${rest.join(' ')}"`);
        return await runStart({ configPath: values.config, logLevel: values['log-level'] }, io);
      case 'plugins':
        return await runPlugins({ configPath: values.config, json: values.json ?? false }, io);
      case 'exec': {
        if (rest.length === 0) throw new UsageError('exec needs a command line, e.g. acgateway exec "help"');
        const timeout = values.timeout ? Number(values.timeout) : 10_000;
        if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of ms, got "${values.timeout}"`);
        // A person at a terminal gets `help` as a table; a script (output piped, or --json) gets JSON.
        const format = values.json ? 'json' : values.table || process.stdout.isTTY ? 'table' : 'json';
        return await runExec({ line: rest.join(' '), url: values.url ?? process.env.ACGATEWAY_URL ?? 'ws://127.0.0.1:8090/', token: values.token ?? process.env.ACGATEWAY_TOKEN, timeoutMs: timeout, format, width: process.stdout.columns }, io);
      }
      case 'init':
        return await runInit({ dir: values.dir ?? process.cwd(), force: values.force ?? false }, io);
      default:
        throw new UsageError(`unknown command "${verb}": expected start, plugins, exec or init (acgateway --help)`);
    }
  } catch (err) {
    io.err(`acgateway: ${errorMessage(err)}`);
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const config = err instanceof ConfigError || (err instanceof PluginError && err.cause instanceof ConfigError);
    return usage || config ? 2 : 1;
  }
}
