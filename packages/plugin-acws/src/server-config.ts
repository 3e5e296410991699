import { CommandError } from '@acgateway/core';
import { applySessionEdit, ServerCfgError, viewServerCfg, type SessionEdit } from './wire/server-cfg.js';
import type { ServerCfgFile, ServerFiles, WrittenFile } from './server-files.js';

/**
 * server_cfg.ini with the session edits not yet written. Edits are kept as operations and replayed
 * on a fresh read when written, so a change made to the file meanwhile is not thrown away.
 */
export class ServerConfig {
  private pending: SessionEdit[] = [];

  constructor(private readonly files: ServerFiles) {}

  get hasPendingEdits(): boolean {
    return this.pending.length > 0;
  }

  private replay(file: ServerCfgFile, edits: readonly SessionEdit[]): ServerCfgFile {
    let doc = file.doc;
    for (const e of edits) doc = applySessionEdit(doc, e).doc;
    return { text: file.text, doc, view: viewServerCfg(doc, this.files.rel(this.files.serverCfg)) };
  }

  /** The file as it would be written now (pending edits applied). */
  async current(): Promise<ServerCfgFile> {
    const file = await this.files.readServerCfg();
    try {
      return this.replay(file, this.pending);
    } catch (err) {
      // The file changed under a pending edit (a section removed by hand): the edits no longer apply.
      this.pending = [];
      throw new CommandError('EDITS_DROPPED', `pending session edits no longer apply to ${this.files.rel(this.files.serverCfg)} and were dropped: ${(err as Error).message}`);
    }
  }

  async edit(edit: SessionEdit): Promise<string> {
    const now = await this.current();
    try {
      const { msg } = applySessionEdit(now.doc, edit);
      this.pending.push(edit);
      return msg;
    } catch (err) {
      if (err instanceof ServerCfgError) throw new CommandError('INVALID_SESSION_EDIT', err.message);
      throw err;
    }
  }

  async write(): Promise<WrittenFile & { msg: string }> {
    const file = await this.current();
    const written = await this.files.writeServerCfg(file.text, file.doc);
    this.pending = [];
    return { msg: `Wrote ${written.file}`, ...written };
  }

  /** Forgets the edits not yet written. */
  discard(): number {
    const n = this.pending.length;
    this.pending = [];
    return n;
  }
}
