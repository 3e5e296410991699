import path from 'node:path';
import { promises as fs } from 'node:fs';
import { CommandError } from '@acgateway/core';
import type { Logger } from '@acgateway/core';
import type { AcwsEvents } from './events.js';
import { IniSyntaxError, parseAcIni } from './wire/ac-ini.js';
import { ControlledProcess } from './controlled-process.js';
import type { ProcessSpec, RunInfo } from './managed-process.js';
import { firstBusyPort } from './port-check.js';

export interface TrackerDeps {
  spec: ProcessSpec;
  /** stracker's own config, e.g. `<root>/stracker/stracker.ini`. */
  iniFile: string;
  events: AcwsEvents;
  logger: Logger;
  checkPorts: boolean;
  onBadInput: (kind: string, message: string) => void;
}

/** stracker (optional): start, stop, restart, status, and exit detection, as for acServer. */
export class TrackerServer extends ControlledProcess<{ msg: string; stracker: RunInfo }> {
  constructor(private readonly deps: TrackerDeps) {
    super('stracker', deps.spec, deps.events, deps.logger);
  }

  status(): { msg: string; stracker?: RunInfo } {
    if (!this.running) return { msg: 'stracker is NOT running' };
    const info = this.process.info();
    return { msg: `stracker is running since ${info.timestamp}`, stracker: info };
  }

  /** `[STRACKER_CONFIG] listening_port`, checked before a start. */
  private async listeningPort(): Promise<number | undefined> {
    const rel = path.relative(path.dirname(this.deps.spec.cwd), this.deps.iniFile).split(path.sep).join('/');
    let text: string;
    try {
      text = await fs.readFile(this.deps.iniFile, 'utf8');
    } catch {
      this.deps.onBadInput('file-missing', `${rel} missing`);
      throw new CommandError('FILE_MISSING', `start command failed - ${rel} missing (stracker needs its stracker.ini)`);
    }
    try {
      const port = Number(parseAcIni(text, rel).get('STRACKER_CONFIG')?.get('listening_port'));
      return Number.isInteger(port) && port > 0 ? port : undefined;
    } catch (err) {
      if (err instanceof IniSyntaxError) {
        this.deps.onBadInput('ini-malformed', err.message);
        throw new CommandError('FILE_MALFORMED', `start command failed - ${err.message}`);
      }
      throw err;
    }
  }

  protected async startNow(): Promise<{ msg: string; stracker: RunInfo }> {
    if (this.running) throw new CommandError('ALREADY_RUNNING', 'start command ignored - stracker already running');
    const port = await this.listeningPort();
    if (this.deps.checkPorts) {
      const busy = await firstBusyPort([{ port, protocol: 'tcp', what: 'listening_port' }]);
      if (busy) throw new CommandError('PORT_IN_USE', `start command failed - stracker ${busy} is already in use`);
    }
    const run = await this.spawn();
    return { msg: 'Stracker started', stracker: run };
  }
}
