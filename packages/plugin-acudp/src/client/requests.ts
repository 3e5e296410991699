import { AcUdpError } from './errors.js';
import type { AcspEvent, CarInfoEvent, SessionInfoEvent } from '../wire/types.js';

type Kind = 'car_info' | 'session_info';

interface Pending {
  kind: Kind;
  match: (e: AcspEvent) => boolean;
  resolve: (e: AcspEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Requests waiting for an answer. ACSP has no request ids: a CAR_INFO answers every pending
 * request for that car, a SESSION_INFO every one for that session index. An ERROR that names the
 * command (AssettoServer writes `ACSP_GET_SESSION_INFO out of bounds: 9`) fails the oldest
 * pending request of that kind; the server answers in order.
 */
export class PendingRequests {
  private readonly pending: Pending[] = [];

  get size(): number {
    return this.pending.length;
  }

  carInfo(carId: number, timeoutMs: number): Promise<CarInfoEvent> {
    return this.add('car_info', (e) => e.type === 'car_info' && e.carId === carId, timeoutMs, `CAR_INFO for car ${carId}`) as Promise<CarInfoEvent>;
  }

  sessionInfo(sessionIndex: number, timeoutMs: number): Promise<SessionInfoEvent> {
    const match = (e: AcspEvent) =>
      e.type === 'session_info' && (sessionIndex === -1 ? e.sessionIndex === e.currentSessionIndex : e.sessionIndex === sessionIndex);
    return this.add('session_info', match, timeoutMs, `SESSION_INFO for ${sessionIndex === -1 ? 'the current session' : `session ${sessionIndex}`}`) as Promise<SessionInfoEvent>;
  }

  private add(kind: Kind, match: (e: AcspEvent) => boolean, timeoutMs: number, what: string): Promise<AcspEvent> {
    return new Promise((resolve, reject) => {
      const p: Pending = {
        kind,
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(p);
          reject(new AcUdpError('TIMEOUT', `no ${what} from the AC server within ${timeoutMs} ms (is the server running and its UDP_PLUGIN_LOCAL_PORT right?)`));
        }, timeoutMs),
      };
      this.pending.push(p);
    });
  }

  /** Cancels the newest request (its command could not be sent). */
  cancelLast(err: Error): void {
    const p = this.pending.pop();
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  private remove(p: Pending): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
  }

  /** Settles the requests this event answers. */
  onEvent(e: AcspEvent): void {
    if (this.pending.length === 0) return;
    if (e.type === 'car_info' || e.type === 'session_info') {
      for (const p of [...this.pending]) {
        if (p.match(e)) {
          this.remove(p);
          clearTimeout(p.timer);
          p.resolve(e);
        }
      }
    } else if (e.type === 'server_error') {
      const text = e.message.toUpperCase();
      const kind: Kind | undefined = text.includes('CAR_INFO') ? 'car_info' : text.includes('SESSION_INFO') ? 'session_info' : undefined;
      const p = kind && this.pending.find((x) => x.kind === kind);
      if (p) {
        this.remove(p);
        clearTimeout(p.timer);
        p.reject(new AcUdpError('AC_ERROR', `the AC server answered: ${e.message}`));
      }
    }
  }

  rejectAll(err: Error): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
