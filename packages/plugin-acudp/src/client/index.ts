export { AcUdpClient, type AcUdpClientEvents, type AcUdpClientOptions, type AcudpSubscriber, type ClientStats } from './client.js';
export { AcUdpError } from './errors.js';
export { EventQueue } from './event-queue.js';
export { AcState, type AcStateSnapshot, type CarState, type LeaderboardState, type SessionState } from './state.js';
