import { describe, expect, it } from 'vitest';
import { AcState, type AcspEvent, type SessionInfoEvent } from '@acgateway/plugin-acudp';
import { SAMPLE_EVENTS } from './samples.js';

const session = (over: Partial<SessionInfoEvent>): SessionInfoEvent => ({ ...(SAMPLE_EVENTS[1] as SessionInfoEvent), ...over });
const conn = (carId: number, type: 'new_connection' | 'connection_closed' = 'new_connection'): AcspEvent => ({ type, driverName: `D${carId}`, driverGuid: `${carId}`, carId, carModel: 'm', carSkin: 's' });
const lap = (carId: number, lapTimeMs: number, cuts = 0): AcspEvent => ({
  type: 'lap_completed',
  carId,
  lapTimeMs,
  cuts,
  leaderboard: [{ carId, timeMs: lapTimeMs, laps: 3, completed: false }],
  gripLevel: 1,
});

describe('AcState', () => {
  it('tracks drivers through connect, load, car info and disconnect', () => {
    const s = new AcState(() => 1000);
    expect(s.apply(conn(2))).toBe(true);
    expect(s.cars.get(2)).toMatchObject({ connected: true, loaded: false, driverName: 'D2' });
    s.apply({ type: 'client_loaded', carId: 2 });
    expect(s.cars.get(2)?.loaded).toBe(true);
    s.apply({ type: 'car_info', carId: 2, isConnected: true, carModel: 'm', carSkin: 's', driverName: 'D2', driverTeam: 'T', driverGuid: '2' });
    expect(s.cars.get(2)?.driverTeam).toBe('T');
    s.apply(conn(2, 'connection_closed'));
    expect(s.cars.get(2)).toMatchObject({ connected: false, loaded: false, driverName: 'D2' });
    // Another driver in the same slot does not inherit the team.
    s.apply({ ...conn(2), driverGuid: 'other' } as AcspEvent);
    expect(s.cars.get(2)?.driverTeam).toBe('');
    expect(s.apply({ type: 'car_update', carId: 2, pos: { x: 0, y: 0, z: 0 }, velocity: { x: 0, y: 0, z: 0 }, gear: 2, engineRpm: 1, normalizedSplinePos: 0 })).toBe(false);
  });

  it('keeps the best lap without cuts and the last leaderboard, tagged with its session', () => {
    const s = new AcState(() => 1000);
    s.apply(session({ type: 'new_session', sessionIndex: 1, currentSessionIndex: 1, name: 'Race' }));
    s.apply(conn(0));
    s.apply(lap(0, 90_000));
    s.apply(lap(0, 85_000, 2));
    s.apply(lap(0, 88_000));
    expect(s.cars.get(0)).toMatchObject({ bestLapMs: 88_000, lastLapMs: 88_000, laps: 3 });
    expect(s.leaderboard).toMatchObject({ sessionIndex: 1, sessionName: 'Race', carId: 0, lapTimeMs: 88_000, at: 1000 });
    s.apply(session({ type: 'new_session', sessionIndex: 0, currentSessionIndex: 0, name: 'Qualify' }));
    expect(s.cars.get(0)).toMatchObject({ bestLapMs: null, lastLapMs: null, laps: 0 });
    expect(s.leaderboard?.sessionName).toBe('Race');
    expect(s.session?.name).toBe('Qualify');
  });

  it('a SESSION_INFO about another session does not change the current one', () => {
    const s = new AcState();
    s.apply(session({ type: 'new_session', sessionIndex: 0, currentSessionIndex: 0, name: 'Qualify' }));
    s.apply(session({ type: 'session_info', sessionIndex: 1, currentSessionIndex: 0, name: 'Race' }));
    expect(s.session?.name).toBe('Qualify');
    expect(s.snapshot().sessions.map((x) => x.name)).toEqual(['Qualify', 'Race']);
  });
});
