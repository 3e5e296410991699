import yargs, { type Argv } from 'yargs';
import { ConfigError, CORE_VERSION, errorMessage, PluginError, type LogLevel } from '@acgateway/core';
import { runStart } from './start.js';
export { loadConfigFile, type LoadedConfig } from './config-file.js';
// The other commands' modules load with their command: `start` does not pay for the client, the
// JSON schema writer or the recorder.
const plugins = () => import('./plugins.js');
const exec = () => import('./exec.js');
const init = () => import('./init.js');
const schema = () => import('./schema.js');
const asyncapi = () => import('./asyncapi.js');
const recording = () => import('./recording.js');

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const EPILOGUE = `The config is found from the working folder upwards (acgateway.config.ts/.mts/.js/.mjs/.cjs/.json,
.acgatewayrc*, package.json#acgateway) unless --config names it.
exec connects to ws://127.0.0.1:8090/ by default (ACGATEWAY_URL and ACGATEWAY_TOKEN override).
Exit codes: 0 ok, 1 runtime error or error reply, 2 bad config or usage.`;

export class UsageError extends Error {}

/** An optional positive number option, or a usage error naming it. */
function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${value}"`);
  return n;
}

const configOption = { alias: 'c', type: 'string', describe: 'the config file (default: found from the working folder upwards)' } as const;

/** The commands and their options (yargs): per-command `--help`, and `completion` from the same table. */
function cli(io: Io, done: (code: number) => void): Argv {
  return yargs()
    .scriptName('acgateway')
    .usage(`acgateway ${CORE_VERSION}: live data out of racing simulators and race servers`)
    .parserConfiguration({ 'parse-positional-numbers': false, 'parse-numbers': false })
    .command(
      'start',
      'run the host from the config until SIGINT or SIGTERM',
      (y) => y.option('config', configOption).option('log-level', { alias: 'l', type: 'string', describe: 'trace, debug, info, warn, error, fatal or silent (overrides log.level)' }),
      async (a) => done(await runStart({ configPath: a.config, logLevel: a.logLevel as LogLevel | undefined }, io)),
    )
    .command(
      'plugins',
      'list the plugins, their sources, endpoints and verbs',
      (y) => y.option('config', configOption).option('json', { type: 'boolean', describe: 'JSON for scripts' }),
      async (a) => done(await (await plugins()).runPlugins({ configPath: a.config, json: a.json ?? false }, io)),
    )
    .command(
      'exec <line..>',
      'run a command on a running host and print the reply (JSON; "help" as a table on a terminal)',
      (y) =>
        y
          .positional('line', { type: 'string', array: true, describe: 'the command line, e.g. "ac broadcast Race starts in 5" or "@track1 ac kick 3"' })
          .option('url', { type: 'string', describe: 'the gateway websocket', default: undefined, defaultDescription: 'ACGATEWAY_URL or ws://127.0.0.1:8090/' })
          .option('token', { type: 'string', describe: 'the token to present', defaultDescription: 'ACGATEWAY_TOKEN' })
          .option('timeout', { type: 'string', describe: 'ms to wait for the reply', default: '10000' })
          .option('json', { type: 'boolean', describe: 'always JSON' })
          .option('table', { type: 'boolean', describe: '"help" as a table even when piped' }),
      async (a) => {
        const timeout = Number(a.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of ms, got "${a.timeout}"`);
        // A person at a terminal gets `help` as a table; a script (output piped, or --json) gets JSON.
        const format = a.json ? 'json' : a.table || process.stdout.isTTY ? 'table' : 'json';
        const line = (a.line ?? []).join(' ');
        done(await (await exec()).runExec({ line, url: a.url ?? process.env.ACGATEWAY_URL ?? 'ws://127.0.0.1:8090/', token: a.token ?? process.env.ACGATEWAY_TOKEN, timeoutMs: timeout, format, width: process.stdout.columns }, io));
      },
    )
    .command(
      'init',
      'write a starter acgateway.config.ts (or with --json acgateway.config.json and its schema)',
      (y) =>
        y
          .option('force', { type: 'boolean', describe: 'overwrite (the old one is kept as a backup)' })
          .option('dir', { type: 'string', describe: 'the folder (default: the working folder)' })
          .option('json', { type: 'boolean', describe: 'a JSON config with "$schema", and acgateway.schema.json beside it' }),
      async (a) => done(await (await init()).runInit({ dir: a.dir ?? process.cwd(), force: a.force ?? false, json: a.json ?? false }, io)),
    )
    .command(
      'schema',
      'print the JSON Schema of the config: the core keys and every installed plugin\'s options',
      (y) => y.option('dir', { type: 'string', describe: 'where the plugins are installed (default: the working folder)' }),
      async (a) => done(await (await schema()).runSchema({ dir: a.dir ?? process.cwd() }, io)),
    )
    .command(
      'asyncapi',
      'print the AsyncAPI 3.0 description of the gateway websocket, with the topics the config\'s plugins declare',
      (y) => y.option('config', configOption),
      async (a) => done(await (await asyncapi()).runAsyncApi({ configPath: a.config }, io)),
    )
    .command(
      'record',
      'record a running gateway\'s topics to an .acgrec file (compressed, indexed, crash-safe) until Ctrl-C or --duration',
      (y) =>
        y
          .option('url', { type: 'string', describe: 'the gateway websocket', defaultDescription: 'ACGATEWAY_URL or ws://127.0.0.1:8090/' })
          .option('token', { type: 'string', describe: 'the token to present', defaultDescription: 'ACGATEWAY_TOKEN' })
          .option('topics', { alias: 't', type: 'string', array: true, describe: 'topic patterns, e.g. \'acudp/#\' \'rf2/#\'', default: ['#'] })
          .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the file (never overwritten; {time} becomes the start time)' })
          .option('duration', { type: 'string', describe: 'stop after this many seconds' })
          .option('max-bytes', { type: 'string', describe: 'bytes per file; then --rotate says what follows' })
          .option('rotate', { choices: ['size', 'session', 'none'], describe: 'a new file at --max-bytes (size), at each new session too (session), or stop (none)', default: 'size' })
          .option('max-files', { type: 'string', describe: 'keep at most this many files of a rotating recording' }),
      async (a) => {
        const { recordingFileName } = await import('@acgateway/recorder');
        done(
          await (await recording()).runRecord(
            {
              url: a.url ?? process.env.ACGATEWAY_URL ?? 'ws://127.0.0.1:8090/',
              token: a.token ?? process.env.ACGATEWAY_TOKEN,
              topics: (a.topics ?? ['#']).map(String),
              out: recordingFileName(a.out, new Date()),
              durationS: positive('--duration', a.duration),
              maxBytes: positive('--max-bytes', a.maxBytes),
              rotate: a.rotate as 'size' | 'session' | 'none',
              maxFiles: positive('--max-files', a.maxFiles),
              tty: process.stderr.isTTY === true,
            },
            io,
          ),
        );
      },
    )
    .command(
      'replay <file>',
      'run a gateway that publishes a recording (.acgrec, or an .acudp datagram recording) with its timing',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'the recording' })
          .option('speed', { type: 'string', describe: '1 = as recorded, 4 = four times faster, max = flat out', default: '1' })
          .option('loop', { type: 'boolean', describe: 'start again at the end' })
          .option('from', { type: 'string', describe: 'start this far in: 00:12:30, 12:30 or seconds' })
          .option('topics', { alias: 't', type: 'string', array: true, describe: 'only these topic patterns' })
          .option('config', { ...configOption, describe: 'a config whose server settings and plugins to run as well (default: the gateway alone)' })
          .option('host', { type: 'string', describe: 'where the gateway listens (default 127.0.0.1)' })
          .option('port', { alias: 'p', type: 'string', describe: 'the gateway port (default 8090; 0 = any free one)' })
          .option('log-level', { alias: 'l', type: 'string', describe: 'trace, debug, info, warn, error, fatal or silent' }),
      async (a) => {
        const speed = a.speed === 'max' ? 'max' : Number(a.speed);
        if (speed !== 'max' && !(speed > 0)) throw new UsageError(`--speed must be a positive number or max, got "${a.speed}"`);
        const port = a.port === undefined ? undefined : Number(a.port);
        if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be 0 to 65535, got "${a.port}"`);
        if (a.from) (await import('@acgateway/recorder')).parseOffset(a.from);
        done(await (await recording()).runReplay({ file: a.file!, speed, loop: a.loop ?? false, from: a.from, topics: a.topics?.map(String), configPath: a.config, host: a.host, port, logLevel: a.logLevel }, io));
      },
    )
    .command(
      'export <file>',
      'export a recording: csv (a file per topic and a lap table), parquet (the same, typed) or motec (rF2 telemetry as MoTeC i2 .ld and .ldx)',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'the .acgrec recording' })
          .option('format', { alias: 'f', choices: ['csv', 'parquet', 'motec'], demandOption: true, describe: 'what to write' })
          .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the folder to write into' })
          .option('topics', { alias: 't', type: 'string', array: true, describe: 'only these topic patterns (csv, parquet)' })
          .option('hz', { type: 'string', describe: 'MoTeC sample rate (default 50)' }),
      async (a) => {
        const hz = positive('--hz', a.hz);
        done(await (await recording()).runExport({ file: a.file!, format: a.format as 'csv' | 'parquet' | 'motec', out: a.out, topics: a.topics?.map(String), hz, tty: process.stderr.isTTY === true }, io));
      },
    )
    .completion('completion', 'print a completion script: completion [bash|zsh|powershell] (default: bash or zsh from $SHELL)')
    .demandCommand(1, 'a command is needed: start, plugins, exec, record, replay, export, init, schema, asyncapi or completion (acgateway --help)')
    .recommendCommands()
    .strict()
    .epilogue(EPILOGUE)
    // The option is -h (--help is mapped to it in main): yargs would take a last word "help" as a
    // help request, and `exec help` is a command line.
    .help('h', 'Show help (also --help)')
    .version(CORE_VERSION)
    .alias('v', 'version')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    });
}

/**
 * PowerShell 7 has no yargs script: a native argument completer that asks the CLI the same question
 * the bash and zsh scripts ask (`--get-yargs-completions` with the words typed so far).
 */
export const POWERSHELL_COMPLETION = `# acgateway completion for PowerShell 7: add this line to your $PROFILE
#   acgateway completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName acgateway, acgateway.cmd -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition } | ForEach-Object { $_.ToString() })
  $words[0] = 'acgateway'
  if ($wordToComplete -eq '') { $words += '' }
  & acgateway --get-yargs-completions @words 2>$null | Where-Object { $_ } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}`;

/** Runs the CLI; resolves to the exit code (`start` resolves when the host has stopped). */
export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  let code: number | undefined;
  try {
    const [first] = argv;
    if (first && !first.startsWith('-') && !['start', 'plugins', 'exec', 'record', 'replay', 'export', 'init', 'schema', 'asyncapi', 'completion', 'help'].includes(first)) {
      throw new UsageError(`unknown command "${first}": expected start, plugins, exec, record, replay, export, init, schema, asyncapi or completion (acgateway --help)`);
    }
    if (first === 'completion' && argv.length === 2 && !argv[1]!.startsWith('-')) {
      const shell = argv[1]!;
      if (shell === 'powershell' || shell === 'pwsh') {
        io.out(POWERSHELL_COMPLETION);
        return 0;
      }
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: unknown shell "${shell}": expected bash, zsh or powershell`);
      // yargs picks bash or zsh from $SHELL when it is created.
      process.env.SHELL = `/bin/${shell}`;
      argv = ['completion'];
    }
    const args = first === 'help' ? ['-h', ...argv.slice(1)] : argv.map((a) => (a === '--help' ? '-h' : a));
    let printed = '';
    let failed: Error | undefined;
    await cli(io, (c) => (code = c)).parseAsync(args, {}, (err: Error | undefined, _argv: unknown, output: string) => {
      if (err) failed = err;
      else printed = output;
    });
    if (failed) throw failed;
    // --help, --version and `completion` print instead of running a command.
    if (printed) io.out(printed.replace(/\n$/, ''));
    return code ?? 0;
  } catch (err) {
    io.err(`acgateway: ${errorMessage(err)}`);
    const usage = err instanceof UsageError || (err as { name?: string }).name === 'YError';
    const config = err instanceof ConfigError || (err instanceof PluginError && err.cause instanceof ConfigError);
    return usage || config ? 2 : 1;
  }
}
