/**
 * Errors of the client library, with a stable `code`:
 * `TIMEOUT` (no answer in time), `AC_ERROR` (the server answered with an ERROR message),
 * `BAD_COMMAND` (refused before sending), `NOT_LISTENING`, `CLOSED`, `SEND_FAILED`, `LISTEN_FAILED`.
 */
export class AcUdpError extends Error {
  constructor(
    readonly code: 'TIMEOUT' | 'AC_ERROR' | 'BAD_COMMAND' | 'NOT_LISTENING' | 'CLOSED' | 'SEND_FAILED' | 'LISTEN_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AcUdpError';
  }
}
