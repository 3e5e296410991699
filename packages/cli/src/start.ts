import { ConfigError, createLogger, Host, resolveConfig, type Logger, type LogLevel } from '@acgateway/core';
import { loadConfigFile } from './config-file.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export async function loadHost(options: { configPath?: string; logLevel?: string; silent?: boolean }) {
  if (options.logLevel && !LEVELS.includes(options.logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}, got "${options.logLevel}"`);
  }
  const loaded = await loadConfigFile({ configPath: options.configPath });
  const config = { ...loaded.config, log: { ...loaded.config.log, ...(options.logLevel ? { level: options.logLevel as LogLevel } : {}) } };
  if (options.silent) config.log = { ...config.log, level: 'silent' };
  // Checked before a logger is made from it: a bad log.level is a config error naming the key, not pino's.
  const resolved = resolveConfig(config, `config ${loaded.filepath}`);
  const logger = createLogger({ level: resolved.log.level, pretty: resolved.log.pretty });
  const host = new Host({ config, configDir: loaded.dir, configPath: loaded.filepath, logger });
  return { host, loaded, logger };
}

/** `acgateway start`: runs until SIGINT/SIGTERM; a second signal forces the exit. */
export async function runStart(options: { configPath?: string; logLevel?: string }, io: { out: (s: string) => void }): Promise<number> {
  const { host, loaded, logger } = await loadHost(options);
  logger.info({ config: loaded.filepath }, 'config loaded');
  return runHost(host, logger, io);
}

/** Starts a host and runs it until SIGINT/SIGTERM (a second signal forces the exit); resolves to the exit code. */
export async function runHost(host: Host, logger: Logger, io: { out: (s: string) => void }): Promise<number> {
  // A promise a plugin forgot to catch is logged, not allowed to end the host (Node's default).
  const onRejection = (reason: unknown) => logger.error({ err: reason }, 'unhandled promise rejection (a plugin did not catch an error)');
  process.on('unhandledRejection', onRejection);
  await host.start();
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`second ${signal}: exiting now`);
        process.exit(130);
      }
      stopping = true;
      logger.info(`${signal}: stopping (within ${host.config.shutdownTimeoutMs} ms)`);
      const timer = setTimeout(() => {
        logger.error(`stop did not finish within shutdownTimeoutMs (${host.config.shutdownTimeoutMs} ms): exiting`);
        process.exit(1);
      }, host.config.shutdownTimeoutMs);
      timer.unref();
      host.stop().then(
        () => {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          process.off('unhandledRejection', onRejection);
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // Printed once the signals are handled: whoever reads "running" may send one at once.
  io.out(banner(host));
  return await stopped;
}

export function banner(host: Host): string {
  const lines = ['acgateway is running. Ctrl-C stops it.'];
  for (const p of host.describe()) {
    const eps = p.endpoints.flatMap((e) => e.urls.map((u) => `${u} (${e.kind}${e.name === 'gateway' || e.name === 'http' ? '' : `, ${e.name}`})`));
    lines.push(`  ${p.name}${p.version ? ` ${p.version}` : ''}: ${p.sources.length} source(s), ${p.verbs.length} verb(s)`);
    for (const e of eps) lines.push(`    ${e}`);
  }
  const gateway = host.endpointUrls()['core/gateway']?.[0];
  if (gateway && host.config.server.ui) lines.push(`Live page: ${gateway.replace(/^ws/, 'http')}   (open it in a browser)`);
  if (gateway) lines.push(`Try: npx acgateway exec "help" --url ${gateway}   (every verb with its plugin)`);
  return lines.join('\n');
}
