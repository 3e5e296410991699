import { describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceWithBackup, writeFileAtomic } from '@acgateway/atomic-file';
import { tempDir } from '@acgateway/testing';

describe('atomic writes', () => {
  it('writeFileAtomic replaces the file and keeps the old content as a timestamped backup', async () => {
    const t = await tempDir('fs-');
    try {
      const file = path.join(t.dir, 'server_cfg.ini');
      expect(await writeFileAtomic(file, 'one')).toBeUndefined(); // nothing to back up yet
      const backup = await writeFileAtomic(file, 'two', { now: () => new Date('2026-01-02T03:04:05.678Z') });
      expect(backup).toBe(path.join(t.dir, 'server_cfg.ini.2026-01-02T03-04-05-678Z.bak'));
      expect(await readFile(file, 'utf8')).toBe('two');
      expect(await readFile(backup!, 'utf8')).toBe('one');
      expect((await readdir(t.dir)).sort()).toEqual(['server_cfg.ini', 'server_cfg.ini.2026-01-02T03-04-05-678Z.bak']); // no temp file left
    } finally {
      await t.remove();
    }
  });

  it('replaceWithBackup moves a finished temp file into place, backups in their own folder when asked', async () => {
    const t = await tempDir('fs-');
    try {
      const file = path.join(t.dir, 'rec.acudp');
      await writeFile(file, 'old');
      await writeFile(path.join(t.dir, 'rec.tmp'), 'new');
      const backup = await replaceWithBackup(path.join(t.dir, 'rec.tmp'), file, { backupDir: path.join(t.dir, 'backups') });
      expect(path.dirname(backup!)).toBe(path.join(t.dir, 'backups'));
      expect(await readFile(backup!, 'utf8')).toBe('old');
      expect(await readFile(file, 'utf8')).toBe('new');
      await writeFile(path.join(t.dir, 'rec.tmp'), 'newer');
      expect(await replaceWithBackup(path.join(t.dir, 'rec.tmp'), file, { backup: false })).toBeUndefined();
      expect(await readFile(file, 'utf8')).toBe('newer');
    } finally {
      await t.remove();
    }
  });
});
