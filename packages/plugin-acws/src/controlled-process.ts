import { CommandError, type Logger } from '@acgateway/core';
import type { AcwsEvents, ProcessName } from './events.js';
import { ManagedProcess, ProcessError, type ExitInfo, type ProcessSpec, type RunInfo } from './managed-process.js';
import { Serial } from './mutex.js';

/** Maps the process layer's refusals to command errors, keeping the original's texts. */
export function processCommandError(err: unknown): unknown {
  if (err instanceof ProcessError) return new CommandError(err.code, err.message, err.details);
  return err;
}

/**
 * What acServer and stracker share: one process whose start, stop and restart run one at a time,
 * replies in the original's words (`<title> server stopped`, `<title> restarted`), and its exits
 * logged and told as `process` events. Each server says what a start checks first.
 */
export abstract class ControlledProcess<Started extends { msg: string }> {
  readonly process: ManagedProcess;
  private readonly serial = new Serial();

  constructor(
    protected readonly who: ProcessName,
    spec: ProcessSpec,
    protected readonly events: AcwsEvents,
    protected readonly logger: Logger,
  ) {
    this.process = new ManagedProcess(spec);
    this.process.on('exit', (exit) => {
      this.onExit(exit);
      const what = exit.expected ? 'stopped' : 'crashed';
      if (what === 'crashed') logger.error({ code: exit.code, signal: exit.signal, lastLines: exit.lastLines }, `${who} exited unexpectedly`);
      else logger.info({ code: exit.code, signal: exit.signal }, `${who} stopped`);
      events.emit('process', { who, what, run: this.process.info(), exit });
    });
  }

  get running(): boolean {
    return this.process.state !== 'stopped';
  }

  /** Checks, prepares and spawns (see `spawn`); runs alone. */
  protected abstract startNow(): Promise<Started>;

  /** Before the `process` event of an exit: forget what the run told us. */
  protected onExit(_exit: ExitInfo): void {}

  /** Spawns the process and tells of it. */
  protected async spawn(details: Record<string, unknown> = {}): Promise<RunInfo> {
    let run: RunInfo;
    try {
      run = await this.process.start();
    } catch (err) {
      throw processCommandError(err);
    }
    this.logger.info({ pid: run.pid, cmd: run.cmd, log: run.log_file, ...details }, `${this.who} started`);
    this.events.emit('process', { who: this.who, what: 'started', run });
    return run;
  }

  private async stopNow(): Promise<{ msg: string; forced: boolean; orphan?: number }> {
    const orphan = this.running ? undefined : this.process.findOrphan();
    if (orphan) {
      // Left by a gateway that died without stopping it: it holds the ports, so the stop command ends it.
      const { forced } = await this.process.stopOrphan(orphan);
      this.logger.warn({ pid: orphan.pid, forced }, `${this.who} left running by an earlier gateway was stopped`);
      return { msg: `${this.process.spec.title} server stopped`, forced, orphan: orphan.pid };
    }
    try {
      const { forced } = await this.process.stop();
      if (forced) this.logger.warn(`${this.who} ignored SIGTERM for ${this.process.spec.stopTimeoutMs} ms and was killed`);
      return { msg: `${this.process.spec.title} server stopped`, forced };
    } catch (err) {
      throw processCommandError(err);
    }
  }

  start(): Promise<Started> {
    return this.serial.run(() => this.checkedStart());
  }

  /** An earlier gateway's process still running is named before anything else (its ports look merely taken). */
  private checkedStart(): Promise<Started> {
    const orphan = this.running ? undefined : this.process.findOrphan();
    if (orphan) {
      const { short } = this.process.spec;
      throw new CommandError('ALREADY_RUNNING', `start command ignored - ${short} already running (pid ${orphan.pid}, left by a gateway that did not stop it; the stop command ends it)`, orphan);
    }
    return this.startNow();
  }

  /** SIGTERM, then SIGKILL after the stop timeout. */
  stop(): Promise<{ msg: string; forced: boolean }> {
    return this.serial.run(() => this.stopNow());
  }

  /** Stop (if running) and start again; the original's restart crashed the connection instead. */
  restart(): Promise<Started & { was_running: boolean }> {
    return this.serial.run(async () => {
      const wasRunning = this.running;
      if (wasRunning) await this.stopNow();
      return { ...(await this.checkedStart()), msg: `${this.process.spec.title} restarted`, was_running: wasRunning };
    });
  }

  /** On host stop: end the process if it runs (the gateway owns its children). */
  async shutdown(): Promise<void> {
    await this.serial.run(async () => {
      if (this.running) await this.process.stop().catch(() => {});
    });
  }
}
