import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@acgateway/atomic-file';
import { CommandError } from '@acgateway/core';
import { IniSyntaxError, parseAcIni, renderAcIni, updateAcIni, type IniDoc } from './wire/ac-ini.js';
import { readEntries, type Entry } from './wire/entry-list.js';
import { isRaceResultName, parseRaceResult, ResultsError, timeOfResultName, type RaceResult } from './wire/results-json.js';
import { ServerCfgError, viewServerCfg, type ServerCfgView } from './wire/server-cfg.js';

export interface ServerFilesOptions {
  /** Folder for the timestamped backups of replaced files (default: beside each file). */
  backupDir?: string;
  /** Backups kept per file; older ones are deleted (default 10). */
  keepBackups?: number;
  /** `<root>/logs`: copies of the ini files of each run go to `<logDir>/acws/`. */
  logDir: string;
  /** Told of every unreadable file (counted and logged by the plugin). */
  onBadInput?: (kind: string, message: string) => void;
}

export interface ServerCfgFile {
  text: string;
  doc: IniDoc;
  view: ServerCfgView;
}

export interface EntryListFile {
  text: string;
  doc: IniDoc;
  entries: Entry[];
}

export interface WrittenFile {
  /** Relative to the server root. */
  file: string;
  backup: string | null;
}

/** The server folder's files: cfg/server_cfg.ini, cfg/entry_list.ini, results/*.json. */
export class ServerFiles {
  readonly serverCfg: string;
  readonly entryList: string;
  readonly entryListNew: string;
  readonly entryListOld: string;
  readonly resultsDir: string;

  constructor(
    readonly root: string,
    private readonly options: ServerFilesOptions,
  ) {
    this.serverCfg = path.join(root, 'cfg', 'server_cfg.ini');
    this.entryList = path.join(root, 'cfg', 'entry_list.ini');
    this.entryListNew = path.join(root, 'cfg', 'entry_list_new.ini');
    this.entryListOld = path.join(root, 'cfg', 'entry_list_old.ini');
    this.resultsDir = path.join(root, 'results');
  }

  /** A path as shown to clients: relative to the server root, forward slashes. */
  rel(p: string): string {
    return path.relative(this.root, p).split(path.sep).join('/');
  }

  private bad(kind: string, err: CommandError): CommandError {
    this.options.onBadInput?.(kind, err.message);
    return err;
  }

  private async readText(file: string): Promise<string> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw this.bad('file-missing', new CommandError('FILE_MISSING', `${this.rel(file)} is missing from the server folder`));
      throw this.bad('file-unreadable', new CommandError('FILE_UNREADABLE', `cannot read ${this.rel(file)}: ${(err as Error).message}`));
    }
  }

  private parse(text: string, file: string): IniDoc {
    try {
      return parseAcIni(text, this.rel(file));
    } catch (err) {
      if (err instanceof IniSyntaxError) throw this.bad('ini-malformed', new CommandError('FILE_MALFORMED', err.message));
      throw err;
    }
  }

  async readServerCfg(): Promise<ServerCfgFile> {
    const text = await this.readText(this.serverCfg);
    const doc = this.parse(text, this.serverCfg);
    try {
      return { text, doc, view: viewServerCfg(doc, this.rel(this.serverCfg)) };
    } catch (err) {
      if (err instanceof ServerCfgError) throw this.bad('ini-malformed', new CommandError('FILE_MALFORMED', err.message));
      throw err;
    }
  }

  async readEntryList(file = this.entryList): Promise<EntryListFile> {
    const text = await this.readText(file);
    const doc = this.parse(text, file);
    return { text, doc, entries: readEntries(doc) };
  }

  private async write(file: string, data: string): Promise<WrittenFile> {
    const backupDir = this.options.backupDir ? path.resolve(this.root, this.options.backupDir) : undefined;
    try {
      const backup = await writeFileAtomic(file, data, { backupDir, keepBackups: this.options.keepBackups });
      return { file: this.rel(file), backup: backup ? this.rel(backup) : null };
    } catch (err) {
      throw new CommandError('WRITE_FAILED', `Failed to write ${this.rel(file)}: ${(err as Error).message} (the file is unchanged)`);
    }
  }

  /** Writes server_cfg.ini over the text it was read from, keeping comments and unknown keys. */
  async writeServerCfg(originalText: string, doc: IniDoc): Promise<WrittenFile> {
    return this.write(this.serverCfg, updateAcIni(originalText, doc, this.rel(this.serverCfg)));
  }

  async writeEntryListNew(doc: IniDoc): Promise<WrittenFile> {
    return this.write(this.entryListNew, renderAcIni(doc, '\r\n'));
  }

  /**
   * A grid saved with `grid save` takes effect on the next start, as in the original:
   * entry_list.ini -> entry_list_old.ini, entry_list_new.ini -> entry_list.ini. The new file is
   * parsed first, so a damaged one is refused instead of starting acServer with it.
   */
  async applySavedGrid(): Promise<{ applied: boolean }> {
    const exists = await fs.stat(this.entryListNew).then((s) => s.isFile(), () => false);
    if (!exists) return { applied: false };
    const next = await this.readEntryList(this.entryListNew);
    if (next.entries.length === 0) {
      throw this.bad('ini-malformed', new CommandError('FILE_MALFORMED', `${this.rel(this.entryListNew)} has no [CAR_<n>] section: not applied`));
    }
    const current = await fs.readFile(this.entryList).catch(() => undefined);
    if (current) await writeFileAtomic(this.entryListOld, current, { backup: false });
    await this.write(this.entryList, next.text);
    await fs.rm(this.entryListNew, { force: true });
    return { applied: true };
  }

  /** Copies of the ini files a run starts with, beside the run's logs. */
  async snapshotConfig(stamp: string): Promise<void> {
    const dir = path.join(this.options.logDir, 'acws');
    await fs.mkdir(dir, { recursive: true });
    await fs.copyFile(this.serverCfg, path.join(dir, `server_cfg-${stamp}.ini`));
    await fs.copyFile(this.entryList, path.join(dir, `entry_list-${stamp}.ini`));
  }

  /** The newest `*_RACE.json` in results/ by the time in its name (then by modification time). */
  async newestRaceResultFile(): Promise<string | undefined> {
    const names = await fs.readdir(this.resultsDir).catch(() => [] as string[]);
    const candidates = await Promise.all(
      names.filter(isRaceResultName).map(async (name) => {
        const file = path.join(this.resultsDir, name);
        const mtime = await fs.stat(file).then((s) => s.mtimeMs, () => 0);
        return { file, t: timeOfResultName(name) ?? mtime, mtime };
      }),
    );
    candidates.sort((a, b) => b.t - a.t || b.mtime - a.mtime);
    return candidates[0]?.file;
  }

  async readRaceResult(file: string): Promise<RaceResult> {
    const text = await this.readText(file);
    try {
      return parseRaceResult(text);
    } catch (err) {
      if (err instanceof ResultsError) throw this.bad('results-invalid', new CommandError('RESULTS_INVALID', `${this.rel(file)} parse FAILURE: ${err.message}`));
      throw err;
    }
  }
}
