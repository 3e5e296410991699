import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Keep a copy of the file being replaced as `<name>.<timestamp>.bak` (default true). */
  backup?: boolean;
  /** Folder for backups (default: beside the file). */
  backupDir?: string;
  now?: () => Date;
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
  let backup: string | undefined;
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
    if (options.backup !== false) {
      try {
        await fs.access(file);
        const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
        const bdir = options.backupDir ?? dir;
        await fs.mkdir(bdir, { recursive: true });
        backup = path.join(bdir, `${base}.${stamp}.bak`);
        await fs.copyFile(file, backup);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        backup = undefined;
      }
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return backup;
}
