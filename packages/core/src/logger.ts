import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable output (pino-pretty). Default: when stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them). Default: stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (options.destination) return pino({ level, base: undefined }, options.destination);
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty) {
    return pino({
      level,
      base: undefined,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } },
    });
  }
  return pino({ level, base: undefined });
}

/**
 * Calls `log` at most once per `intervalMs` per key and tells how many calls were suppressed since,
 * so a flood of bad input is visible in the logs without drowning them.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly intervalMs = 5000, private readonly now: () => number = Date.now) {}

  log(key: string, emit: (suppressed: number) => void): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    if (this.last.size > 1000) this.last.delete(this.last.keys().next().value as string);
    emit(suppressed);
  }
}
