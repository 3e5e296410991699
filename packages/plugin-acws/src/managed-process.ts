import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, promises as fs, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { writeFileAtomic } from '@acgateway/atomic-file';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { LineSplitter } from './line-splitter.js';

/** What to run and how: acServer and stracker are both one of these. */
export interface ProcessSpec {
  /** In messages: `AC Server`, `Stracker`. */
  title: string;
  /** In messages: `AC Server`, `stracker`. */
  short: string;
  /** In log file names: `acServer`, `stracker`. */
  fileTag: string;
  /** Absolute, relative to `cwd`, or a bare name looked up in `cwd` then on PATH. */
  command: string;
  args: readonly string[];
  cwd: string;
  env?: Record<string, string>;
  /** Each run's stdout goes to `<logDir>/session/`, stderr to `<logDir>/error/`. */
  logDir: string;
  /** After SIGTERM, wait this long before SIGKILL. */
  stopTimeoutMs: number;
  /** A start succeeds once the process has lived this long, or printed a `readyPattern` line. */
  startupGraceMs: number;
  readyPattern?: RegExp;
  maxLineLength?: number;
}

export type ProcessState = 'stopped' | 'starting' | 'running' | 'stopping';

/** The original's child-process description (`cmd`, `cwd`, `timestamp`, `running`), plus where its output goes. */
export interface RunInfo {
  cmd: string[];
  cwd: string;
  timestamp: string;
  running: boolean;
  pid: number | null;
  since: string | null;
  log_file: string | null;
  error_file: string | null;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** True when it exited because we stopped it. */
  expected: boolean;
  /** True when it exited before the start completed. */
  duringStartup: boolean;
  uptimeMs: number;
  /** The last lines it printed (stdout and stderr), for the crash report. */
  lastLines: string[];
}

export type ProcessErrorCode = 'ALREADY_RUNNING' | 'NOT_RUNNING' | 'MISSING' | 'START_FAILED';

/** A process a gateway that did not stop it (killed, crashed) left running, found by its pid file. */
export interface Orphan {
  pid: number;
  cmd: string[];
  since: string;
}

export class ProcessError extends Error {
  constructor(
    readonly code: ProcessErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

interface ProcessEvents {
  line: [line: string, stream: 'stdout' | 'stderr'];
  exit: [info: ExitInfo];
  overlong: [length: number];
}

const isWindows = process.platform === 'win32';
const LAST_LINES = 20;

/** `YYYYMMDD_HHMMSS` in local time, as the original names its files. */
export function fileStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * One child process with a lifecycle: start (checked, logged, ready detection), stop (SIGTERM to its
 * process group, SIGKILL after a timeout), exit detection (expected or not) with its last lines.
 */
export class ManagedProcess extends EventEmitter<ProcessEvents> {
  state: ProcessState = 'stopped';
  private child: ChildProcess | undefined;
  private stopRequested = false;
  private startedAt = 0;
  private lastRun: RunInfo | undefined;
  private lastLines: string[] = [];
  private exited: Promise<ExitInfo> | undefined;
  /** Ends the child with the gateway, whatever ends the gateway (a crash included): 'exit' handlers run then. */
  private readonly killOnExit = () => {
    if (this.child) this.signal(this.child, 'SIGKILL');
  };

  constructor(readonly spec: ProcessSpec) {
    super();
  }

  /** `<cwd>/<fileTag>.pid`: which process this gateway started, for the next gateway if this one dies. */
  get pidFile(): string {
    return path.join(this.spec.cwd, `${this.spec.fileTag}.pid`);
  }

  /**
   * A process left by an earlier gateway: its pid file names a live process that runs the same
   * program. A pid file naming no such process is stale and removed.
   */
  findOrphan(): Orphan | undefined {
    if (this.child) return undefined;
    let recorded: Orphan;
    try {
      recorded = JSON.parse(readFileSync(this.pidFile, 'utf8')) as Orphan;
    } catch {
      return undefined;
    }
    if (Number.isInteger(recorded.pid) && recorded.pid > 0 && isAlive(recorded.pid) && runsProgram(recorded.pid, recorded.cmd?.[0])) return recorded;
    rmSync(this.pidFile, { force: true });
    return undefined;
  }

  /** Stops an orphan: SIGTERM to its group, SIGKILL after the stop timeout. Resolves when it is gone. */
  async stopOrphan(orphan: Orphan): Promise<{ forced: boolean }> {
    signalPid(orphan.pid, 'SIGTERM');
    const deadline = Date.now() + this.spec.stopTimeoutMs;
    while (Date.now() < deadline && isAlive(orphan.pid)) await new Promise((r) => setTimeout(r, 50));
    let forced = false;
    if (isAlive(orphan.pid)) {
      forced = true;
      signalPid(orphan.pid, 'SIGKILL');
      while (isAlive(orphan.pid)) await new Promise((r) => setTimeout(r, 20));
    }
    rmSync(this.pidFile, { force: true });
    return { forced };
  }

  info(): RunInfo {
    const running = this.state === 'running' || this.state === 'starting' || this.state === 'stopping';
    if (this.lastRun) return { ...this.lastRun, running, pid: running ? this.lastRun.pid : null };
    return { cmd: [this.spec.command, ...this.spec.args], cwd: this.spec.cwd, timestamp: 'n/a', running: false, pid: null, since: null, log_file: null, error_file: null };
  }

  /** Resolves what will be run; a path that does not exist is "missing", as the original says. */
  private async resolveCommand(): Promise<string> {
    const c = this.spec.command;
    const explicit = path.isAbsolute(c) || c.includes('/') || c.includes('\\');
    if (explicit) {
      const abs = path.resolve(this.spec.cwd, c);
      const st = await fs.stat(abs).catch(() => undefined);
      if (!st?.isFile()) throw new ProcessError('MISSING', `${abs} missing`);
      return abs;
    }
    const local = path.join(this.spec.cwd, c);
    const st = await fs.stat(local).catch(() => undefined);
    return st?.isFile() ? local : c;
  }

  async start(): Promise<RunInfo> {
    const { short } = this.spec;
    if (this.state !== 'stopped') throw new ProcessError('ALREADY_RUNNING', `start command ignored - ${short} already running`);

    this.state = 'starting';
    this.stopRequested = false;
    this.lastLines = [];
    let out: WriteStream | undefined;
    let err: WriteStream | undefined;
    let child: ChildProcess;
    let exe: string;
    const started = new Date();
    const stamp = fileStamp(started);
    const outFile = path.join(this.spec.logDir, 'session', `output-${stamp}-${this.spec.fileTag}.log`);
    const errFile = path.join(this.spec.logDir, 'error', `error-${stamp}-${this.spec.fileTag}.log`);
    try {
      const cwdStat = await fs.stat(this.spec.cwd).catch(() => undefined);
      if (!cwdStat?.isDirectory()) throw new ProcessError('MISSING', `${this.spec.cwd} missing (working folder of ${short})`);
      exe = await this.resolveCommand();
      await fs.mkdir(path.dirname(outFile), { recursive: true });
      await fs.mkdir(path.dirname(errFile), { recursive: true });
      out = createWriteStream(outFile, { flags: 'a' });
      err = createWriteStream(errFile, { flags: 'a' });
      child = spawn(exe, [...this.spec.args], {
        cwd: this.spec.cwd,
        env: this.spec.env ? { ...process.env, ...this.spec.env } : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a stop reaches whatever it started (a wrapper script, wine).
        detached: !isWindows,
        windowsHide: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      this.state = 'stopped';
      out?.end();
      err?.end();
      if (e instanceof ProcessError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ProcessError('MISSING', `${this.spec.command} missing (not in ${this.spec.cwd} nor on PATH)`);
      throw new ProcessError('START_FAILED', `start command failed - ${(e as Error).message}`);
    }
    this.child = child;
    process.on('exit', this.killOnExit);
    if (child.pid !== undefined) {
      const record: Orphan = { pid: child.pid, cmd: [exe, ...this.spec.args], since: started.toISOString() };
      await writeFileAtomic(this.pidFile, JSON.stringify(record) + '\n', { backup: false }).catch(() => {});
    }
    this.startedAt = started.getTime();
    this.lastRun = {
      cmd: [exe, ...this.spec.args],
      cwd: this.spec.cwd,
      timestamp: stamp,
      running: true,
      pid: child.pid ?? null,
      since: started.toISOString(),
      log_file: outFile,
      error_file: errFile,
    };

    let ready: () => void = () => {};
    const readySeen = new Promise<void>((r) => (ready = r));
    const wire = (stream: NodeJS.ReadableStream, file: WriteStream, name: 'stdout' | 'stderr') => {
      const splitter = new LineSplitter(
        (line) => {
          this.lastLines.push(line);
          if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
          if (this.spec.readyPattern?.test(line)) ready();
          this.emit('line', line, name);
        },
        this.spec.maxLineLength ?? 8192,
        (n) => this.emit('overlong', n),
      );
      stream.on('data', (chunk: Buffer) => {
        file.write(chunk);
        splitter.push(chunk);
      });
      return splitter;
    };
    const splitters = [wire(child.stdout!, out, 'stdout'), wire(child.stderr!, err, 'stderr')];
    // An error event after spawn (a failed kill) must not become an uncaught exception.
    child.on('error', () => {});

    this.exited = new Promise<ExitInfo>((resolve) => {
      let finished = false;
      let code: number | null = null;
      let signal: string | null = null;
      const finish = () => {
        if (finished) return;
        finished = true;
        for (const s of splitters) s.end();
        out!.end();
        err!.end();
        const duringStartup = this.state === 'starting';
        const info: ExitInfo = {
          code,
          signal,
          expected: this.stopRequested,
          duringStartup,
          uptimeMs: Date.now() - this.startedAt,
          lastLines: [...this.lastLines],
        };
        this.state = 'stopped';
        this.child = undefined;
        process.off('exit', this.killOnExit);
        rmSync(this.pidFile, { force: true });
        this.emit('exit', info);
        resolve(info);
      };
      child.once('exit', (c, s) => {
        code = c;
        signal = s;
        // 'close' follows once its output is drained; a grandchild holding the pipe must not hold us.
        setTimeout(finish, 2000).unref();
      });
      child.once('close', (c, s) => {
        code ??= c;
        signal ??= s;
        finish();
      });
    });

    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, this.spec.startupGraceMs)));
    const outcome = await Promise.race([readySeen.then(() => 'ready' as const), grace.then(() => 'ready' as const), this.exited.then((e) => e)]);
    clearTimeout(graceTimer);
    if (outcome !== 'ready') {
      const how = outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.code}`;
      const tail = outcome.lastLines.slice(-5).join(' | ');
      throw new ProcessError('START_FAILED', `start command failed - ${short} exited during start-up (${how})${tail ? `: ${tail}` : ''}`, { lastLines: outcome.lastLines });
    }
    this.state = 'running';
    return this.info();
  }

  /** SIGTERM, then SIGKILL after `stopTimeoutMs`. Resolves once it has exited. */
  async stop(): Promise<{ forced: boolean; exit: ExitInfo }> {
    const child = this.child;
    if (!child || this.state === 'stopped' || !this.exited) {
      throw new ProcessError('NOT_RUNNING', `stop command ignored - ${this.spec.short} not running`);
    }
    const exited = this.exited;
    this.stopRequested = true;
    this.state = 'stopping';
    this.signal(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.spec.stopTimeoutMs)));
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { forced: false, exit: first };
    this.signal(child, 'SIGKILL');
    return { forced: true, exit: await exited };
  }

  private signal(child: ChildProcess, sig: 'SIGTERM' | 'SIGKILL'): void {
    if (child.pid === undefined) return;
    if (isWindows) {
      // No graceful signal for a console program on Windows: TerminateProcess, then the whole tree.
      if (sig === 'SIGTERM') child.kill();
      else spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
      return;
    }
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        // Already gone.
      }
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the pid runs the program (Linux: /proc; elsewhere a live pid is taken at its word). */
function runsProgram(pid: number, program: string | undefined): boolean {
  if (!program) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const base = path.basename(program);
    return cmdline.some((arg) => arg === program || path.basename(arg) === base);
  } catch {
    return process.platform !== 'linux';
  }
}

function signalPid(pid: number, sig: 'SIGTERM' | 'SIGKILL'): void {
  if (isWindows) {
    spawnSync('taskkill', ['/pid', String(pid), '/T', ...(sig === 'SIGKILL' ? ['/F'] : [])], { windowsHide: true });
    return;
  }
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
      return;
    } catch {
      // Not a group leader, or already gone: try the pid itself.
    }
  }
}
