/** Base class of every error the core raises on purpose; `code` is stable and machine-readable. */
export class AcgError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AcgError';
  }
}

/** Invalid configuration: stops the start; the CLI exits with code 2. */
export class ConfigError extends AcgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** An error raised by (or inside) a plugin, re-thrown naming the plugin and where it happened. */
export class PluginError extends AcgError {
  constructor(
    readonly plugin: string,
    readonly where: string,
    cause: unknown,
  ) {
    super('PLUGIN', `plugin "${plugin}" failed in ${where}: ${errorMessage(cause)}`, { cause });
    this.name = 'PluginError';
  }
}

/** What a command handler throws to answer with an error; `code` goes to the client as is. */
export class CommandError extends AcgError {
  constructor(
    code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(code, message);
    this.name = 'CommandError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
