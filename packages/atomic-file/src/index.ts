import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Keep a copy of the file being replaced as `<name>.<timestamp>.bak` (default true). */
  backup?: boolean;
  /** Folder for backups (default: beside the file). */
  backupDir?: string;
  /** Backups of this file kept, newest first; older ones are deleted (default 10). */
  keepBackups?: number;
  now?: () => Date;
  /**
   * Windows: how long to keep retrying the final rename while another program holds the target open
   * without delete sharing (EPERM/EACCES/EBUSY: an editor, acServer, a virus scanner). Default 1000
   * on Windows, 0 elsewhere (there those errors are not transient).
   */
  renameRetryMs?: number;
}

/**
 * Writes a file so a crash or a full disk never leaves it half written: the data goes to a temp
 * file in the same folder, is flushed, then renamed over the target. The previous content is kept
 * as a timestamped backup. Returns the backup's path, if one was made.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<string | undefined> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const tmp = path.join(dir, `.${base}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    return await replaceWithBackup(tmp, file, options);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The last step of an atomic write, for files written some other way (streamed over hours, say):
 * renames the finished, synced `tmp` over `file`, first copying what `file` held to
 * `<name>.<timestamp>.bak` (unless `backup: false`). Returns the backup's path, if one was made.
 */
export async function replaceWithBackup(tmp: string, file: string, options: AtomicWriteOptions = {}): Promise<string | undefined> {
  let backup: string | undefined;
  if (options.backup !== false) {
    const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const dir = options.backupDir ?? path.dirname(file);
    backup = path.join(dir, `${path.basename(file)}.${stamp}.bak`);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.copyFile(file, backup);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      backup = undefined;
    }
  }
  const windows = process.platform === 'win32';
  try {
    await renameRetrying(tmp, file, options.renameRetryMs ?? (windows ? 1000 : 0));
  } catch (err) {
    // The file is unchanged: a backup of it made for this write is only a duplicate.
    if (backup) await fs.rm(backup, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Elsewhere EACCES/EPERM mean permissions, and the system's own message says so.
    if (windows && code && HELD.has(code)) {
      throw Object.assign(new Error(`cannot replace ${file}: another program holds it open (${code}); it was left unchanged`), { code, cause: err });
    }
    throw err;
  }
  if (backup) await pruneBackups(path.dirname(backup), path.basename(file), options.keepBackups ?? DEFAULT_KEEP_BACKUPS);
  return backup;
}

export const DEFAULT_KEEP_BACKUPS = 10;

/** What Windows answers a rename over a file another process has open without FILE_SHARE_DELETE. */
const HELD = new Set(['EPERM', 'EACCES', 'EBUSY']);

async function renameRetrying(from: string, to: string, retryMs: number): Promise<void> {
  const deadline = Date.now() + retryMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await fs.rename(from, to);
    } catch (err) {
      if (!HELD.has((err as NodeJS.ErrnoException).code ?? '') || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Deletes all but the newest `keep` backups of one file (`<name>.<ISO stamp>.bak`, so names sort by time). */
async function pruneBackups(dir: string, base: string, keep: number): Promise<void> {
  const stamp = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.bak$/;
  const names = (await fs.readdir(dir)).filter((n) => n.startsWith(`${base}.`) && stamp.test(n.slice(base.length + 1))).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) await fs.rm(path.join(dir, old), { force: true });
}
